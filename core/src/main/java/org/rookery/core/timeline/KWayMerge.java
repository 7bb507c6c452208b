package org.rookery.core.timeline;

import java.util.List;

/**
 * Merges lists of ids sorted newest first into one list, newest first, without duplicates, using a
 * binary heap over primitive arrays (the shape of Lucene's {@code LongHeap}): O(total × log k), no
 * object per entry. Thread-safe (stateless).
 */
public final class KWayMerge {
    private KWayMerge() {}

    /** The first {@code limit} ids of the merge of {@code lists} (each sorted descending). */
    public static long[] mergeDescending(List<long[]> lists, int limit) {
        int k = lists.size();
        long[] heapVal = new long[k];
        int[] heapList = new int[k];
        int[] pos = new int[k];
        int size = 0;
        for (int i = 0; i < k; i++) {
            long[] l = lists.get(i);
            if (l.length > 0) {
                heapVal[size] = l[0];
                heapList[size] = i;
                size++;
                siftUp(heapVal, heapList, size - 1);
            }
        }
        long[] out = new long[limit];
        int n = 0;
        long last = Long.MIN_VALUE;
        while (size > 0 && n < limit) {
            long top = heapVal[0];
            int li = heapList[0];
            if (n == 0 || top != last) {
                out[n++] = top;
                last = top;
            }
            long[] l = lists.get(li);
            int p = ++pos[li];
            if (p < l.length) {
                heapVal[0] = l[p];
            } else {
                size--;
                heapVal[0] = heapVal[size];
                heapList[0] = heapList[size];
            }
            siftDown(heapVal, heapList, size, 0);
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /** Max-heap by value. */
    private static void siftUp(long[] v, int[] l, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (v[parent] >= v[i]) {
                return;
            }
            swap(v, l, i, parent);
            i = parent;
        }
    }

    private static void siftDown(long[] v, int[] l, int size, int i) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int right = left + 1;
            int big = right < size && v[right] > v[left] ? right : left;
            if (v[i] >= v[big]) {
                return;
            }
            swap(v, l, i, big);
            i = big;
        }
    }

    private static void swap(long[] v, int[] l, int a, int b) {
        long tv = v[a];
        v[a] = v[b];
        v[b] = tv;
        int tl = l[a];
        l[a] = l[b];
        l[b] = tl;
    }
}
