package org.rookery.loadgen.graph;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a real follow graph from an edge list: one edge per line, {@code u v} (whitespace or comma
 * separated; further columns such as weights or timestamps are ignored), as SNAP and Network
 * Repository publish them ({@code .edges}, {@code .txt}, and {@code .mtx} with its size line).
 * Lines starting with {@code %} or {@code #} are comments. Node ids may be any integers; they are
 * renumbered densely in order of first appearance. {@code u v} means <em>u follows v</em>; with
 * {@code undirected} (friendship graphs such as socfb-Reed98) each edge is a follow both ways.
 * Self-loops and duplicate edges are dropped.
 *
 * <pre>{@code
 * EdgeListLoader.Loaded g = EdgeListLoader.load(Path.of("socfb-Reed98.edges"), true);
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class EdgeListLoader {
    private EdgeListLoader() {
    }

    /** The graph and what the file held. */
    public record Loaded(FollowerGraph graph, long lines, long selfLoops, long duplicates, long[] originalIds) {
    }

    public static Loaded load(Path file, boolean undirected) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return load(in, undirected);
        } catch (IOException e) {
            throw new UncheckedIOException("edge list " + file + ": " + e.getMessage(), e);
        }
    }

    public static Loaded load(Reader reader, boolean undirected) throws IOException {
        BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        LongIntMap ids = new LongIntMap(1024);
        long[] original = new long[1024];
        int[] src = new int[1024];
        int[] dst = new int[1024];
        int n = 0;
        long lines = 0;
        long selfLoops = 0;
        boolean matrixMarket = false;
        boolean sizeLineSkipped = false;
        String line;
        long lineNo = 0;
        while ((line = in.readLine()) != null) {
            lineNo++;
            String s = line.strip();
            if (s.isEmpty()) {
                continue;
            }
            if (s.charAt(0) == '%' || s.charAt(0) == '#') {
                if (lineNo == 1 && s.startsWith("%%MatrixMarket")) {
                    matrixMarket = true;
                }
                continue;
            }
            if (matrixMarket && !sizeLineSkipped) {
                sizeLineSkipped = true; // "rows cols entries"
                continue;
            }
            String[] parts = s.split("[\\s,]+");
            if (parts.length < 2) {
                throw new IllegalArgumentException("line " + lineNo + ": '" + line + "' (expected: two node ids, 'u v')");
            }
            long u;
            long v;
            try {
                u = Long.parseLong(parts[0]);
                v = Long.parseLong(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("line " + lineNo + ": '" + line + "' (expected: integer node ids)", e);
            }
            lines++;
            int a = ids.getOrAdd(u);
            if (a == original.length) {
                original = Arrays.copyOf(original, original.length * 2);
            }
            original[a] = u;
            int b = ids.getOrAdd(v);
            if (b == original.length) {
                original = Arrays.copyOf(original, original.length * 2);
            }
            original[b] = v;
            if (a == b) {
                selfLoops++;
                continue;
            }
            int need = n + (undirected ? 2 : 1);
            if (need > src.length) {
                int cap = Math.max(need, src.length + (src.length >> 1));
                src = Arrays.copyOf(src, cap);
                dst = Arrays.copyOf(dst, cap);
            }
            src[n] = a; // follower
            dst[n] = b; // followee
            n++;
            if (undirected) {
                src[n] = b;
                dst[n] = a;
                n++;
            }
        }
        int users = ids.size();
        int[] offsets = new int[users + 1];
        for (int i = 0; i < n; i++) {
            offsets[dst[i] + 1]++;
        }
        for (int u = 0; u < users; u++) {
            offsets[u + 1] += offsets[u];
        }
        int[] fill = Arrays.copyOf(offsets, users);
        int[] followers = new int[n];
        for (int i = 0; i < n; i++) {
            followers[fill[dst[i]]++] = src[i];
        }
        // Sort each row and drop duplicates, compacting in place.
        int w = 0;
        int[] compact = new int[users + 1];
        for (int u = 0; u < users; u++) {
            int from = offsets[u];
            int to = offsets[u + 1];
            Arrays.sort(followers, from, to);
            compact[u] = w;
            for (int i = from; i < to; i++) {
                if (i == from || followers[i] != followers[i - 1]) {
                    followers[w++] = followers[i];
                }
            }
        }
        compact[users] = w;
        long duplicates = n - w;
        return new Loaded(new FollowerGraph(compact, Arrays.copyOf(followers, w)), lines, selfLoops,
                undirected ? duplicates / 2 : duplicates, Arrays.copyOf(original, users));
    }

    /** Open-addressing map from a node id to its dense index (no boxing). */
    static final class LongIntMap {
        private long[] keys;
        private int[] values;
        private boolean[] used;
        private int size;

        LongIntMap(int capacity) {
            int cap = Integer.highestOneBit(Math.max(16, capacity) * 2 - 1);
            keys = new long[cap];
            values = new int[cap];
            used = new boolean[cap];
        }

        int size() {
            return size;
        }

        /** The index of {@code key}, assigning the next one if it is new. */
        int getOrAdd(long key) {
            if ((size + 1) * 2 > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int i = (int) mix(key) & mask;
            while (used[i]) {
                if (keys[i] == key) {
                    return values[i];
                }
                i = (i + 1) & mask;
            }
            used[i] = true;
            keys[i] = key;
            values[i] = size;
            return size++;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            boolean[] oldUsed = used;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            used = new boolean[oldKeys.length * 2];
            int mask = keys.length - 1;
            for (int j = 0; j < oldKeys.length; j++) {
                if (oldUsed[j]) {
                    int i = (int) mix(oldKeys[j]) & mask;
                    while (used[i]) {
                        i = (i + 1) & mask;
                    }
                    used[i] = true;
                    keys[i] = oldKeys[j];
                    values[i] = oldValues[j];
                }
            }
        }

        private static long mix(long x) {
            x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
            x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
            return x ^ (x >>> 33);
        }
    }
}
