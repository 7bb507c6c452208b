package org.rookery.loadgen.run;

import java.util.Arrays;

/**
 * Every acknowledged post of a run (its id and author), so each can be read back at the end:
 * an acknowledged post that cannot be found is lost. Primitive arrays; thread-safe.
 */
public final class PostLedger {
    private long[] ids = new long[1024];
    private int[] authors = new int[1024];
    private int size;

    public synchronized void add(long id, int author) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
            authors = Arrays.copyOf(authors, size * 2);
        }
        ids[size] = id;
        authors[size] = author;
        size++;
    }

    public synchronized int size() {
        return size;
    }

    public synchronized long id(int i) {
        return ids[i];
    }

    public synchronized int author(int i) {
        return authors[i];
    }
}
