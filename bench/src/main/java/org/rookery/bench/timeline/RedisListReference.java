package org.rookery.bench.timeline;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The seeds' timeline store as a reference: Redis lists, one per user, each capped at 800 by
 * {@code LPUSH key id} + {@code LTRIM key 0 799}, written pipelined as Twitter's fanout did.
 *
 * <p>Starts {@code redis-server} (from the PATH; Debian: {@code apt-get install -y redis-server}) on
 * a free loopback port with {@code --save "" --appendonly no}, fills {@code lists} lists to the cap
 * with multi-value {@code LPUSH}, measures steady-state fanout inserts per second, asks
 * {@code MEMORY USAGE key SAMPLES 0} of full lists, and shuts the server down. The ids are Snowflake
 * ids of 2026 (19 decimal digits), sent as decimal strings as a client would; Redis keeps each as a
 * 64-bit integer inside the list's listpack (10 bytes: encoding, 8 bytes, back-length), the most
 * compact form it has, and a list of 800 such entries (8 KB) fits one quicklist node.
 *
 * <p>The client speaks RESP over a plain socket rather than through Lettuce or Jedis: fanout is a
 * stream of two fixed-shape commands, which a byte buffer encodes with no allocation, one thread
 * writes and one thread counts replies, and the TCP buffers are the pipeline's window. A client
 * library would add futures per command and cost client CPU on a two-core machine where the
 * client shares the box with the server.
 */
final class RedisListReference {

    /** Inserts per second of wall-clock time and per second of redis-server's CPU time. */
    record Result(String version, double insertsPerSecond, double insertsPerCpuSecond, double bytesPerEntry,
                  int listsMeasured, String encoding, double usedMemoryPerEntry) {}

    /** What the pipelined fanout measured. */
    private record Fanout(double insertsPerSecond, double serverCpuShare) {}

    private RedisListReference() {}

    static @Nullable Result run(int lists, int capacity, int minFollowers, int maxFollowers, double seconds, long seed,
            long firstTweetId) throws Exception {
        String binary = onPath("redis-server");
        if (binary == null) {
            System.out.println("  skipped: redis-server is not on the PATH (Debian: apt-get install -y redis-server)");
            return null;
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("rookery-redis-bench");
        Process server = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--logfile", dir.resolve("redis.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .start();
        try {
            Conn c = connect(port, server);
            String info = new String((byte[]) c.call("INFO", "server"), StandardCharsets.UTF_8);
            String version = info.lines().filter(l -> l.startsWith("redis_version:"))
                    .map(l -> l.substring("redis_version:".length()).trim()).findFirst().orElse("?");
            System.out.printf(Locale.ROOT, "  redis %s on port %d (pid %d), %,d lists of %d%n",
                    version, port, server.pid(), lists, capacity);

            SplittableRandom rnd = new SplittableRandom(seed ^ 0x5EED);
            byte[][] keys = new byte[lists][];
            for (int i = 0; i < lists; i++) {
                keys[i] = ("tl:" + Long.toUnsignedString(rnd.nextLong())).getBytes(StandardCharsets.US_ASCII);
            }
            long first = firstTweetId;
            long usedBefore = usedMemory(c);
            long t0 = System.nanoTime();
            fill(c, keys, capacity, first);
            long usedAfter = usedMemory(c);
            double usedPerEntry = (double) (usedAfter - usedBefore) / ((long) lists * capacity);
            System.out.printf(Locale.ROOT, "  filled %,d lists to %d in %.1f s; INFO used_memory grew by %,d bytes, "
                            + "%.2f per entry (keys, dict and allocator rounding included)%n",
                    lists, capacity, (System.nanoTime() - t0) / 1e9, usedAfter - usedBefore, usedPerEntry);

            int[][] pool = new int[1_024][];
            for (int p = 0; p < pool.length; p++) {
                int n = minFollowers + rnd.nextInt(maxFollowers - minFollowers + 1);
                pool[p] = TimelineFanoutBench.distinctSorted(rnd, Math.min(n, lists), lists);
            }
            Fanout rate = fanout(c, keys, pool, capacity, first + (long) capacity * lists + 1, seconds, server.pid());

            int sample = Math.min(200, lists);
            long bytes = 0;
            for (int i = 0; i < sample; i++) {
                byte[] key = keys[(int) ((long) i * lists / sample)];
                long len = (Long) c.call("LLEN", key);
                if (len != capacity) {
                    throw new IllegalStateException("list holds " + len + " (expected: " + capacity + ")");
                }
                bytes += (Long) c.call("MEMORY", "USAGE", key, "SAMPLES", "0");
            }
            double perEntry = (double) bytes / ((long) sample * capacity);
            String encoding = new String((byte[]) c.call("OBJECT", "ENCODING", keys[0]), StandardCharsets.US_ASCII);
            System.out.printf(Locale.ROOT, "  MEMORY USAGE of %d full lists: %,d bytes, %.2f bytes per entry; "
                            + "OBJECT ENCODING %s; a list's entry: %s%n",
                    sample, bytes, perEntry, encoding,
                    new String((byte[]) c.call("LINDEX", keys[0], "0"), StandardCharsets.US_ASCII));
            try {
                c.call("SHUTDOWN", "NOSAVE");
            } catch (IOException expected) {
                // the server closes the connection as it exits
            }
            return new Result(version, rate.insertsPerSecond(), rate.insertsPerSecond() / rate.serverCpuShare(),
                    perEntry, sample, encoding, usedPerEntry);
        } finally {
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Fills each list with {@code capacity} ids, oldest first, in multi-value LPUSHes. */
    private static void fill(Conn c, byte[][] keys, int capacity, long first) throws IOException {
        int batch = 64;
        for (int start = 0; start < keys.length; start += batch) {
            int end = Math.min(keys.length, start + batch);
            for (int i = start; i < end; i++) {
                c.out.arrayHeader(2 + capacity).bulk("LPUSH").bulk(keys[i]);
                for (int k = 0; k < capacity; k++) {
                    c.out.bulk(first + (long) k * keys.length + i);
                }
            }
            c.out.flush();
            for (int i = start; i < end; i++) {
                Object r = c.readReply();
                if (!(r instanceof Long n) || n != capacity) {
                    throw new IllegalStateException("LPUSH fill: " + r);
                }
            }
        }
    }

    /**
     * Pipelined fanout: a writer thread streams LPUSH + LTRIM pairs for random follower sets, this
     * thread counts the replies. Warm-up of 3 s, then {@code seconds} measured.
     */
    private static Fanout fanout(Conn c, byte[][] keys, int[][] pool, int capacity, long firstId, double seconds,
            long serverPid) throws Exception {
        AtomicLong sent = new AtomicLong();
        AtomicLong pushes = new AtomicLong();
        long[] errors = new long[1];
        byte[] trimEnd = Integer.toString(capacity - 1).getBytes(StandardCharsets.US_ASCII);
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            long id = firstId;
            int next = 0;
            try {
                while (!stop.get()) {
                    int[] followers = pool[next++ & (pool.length - 1)];
                    long tweet = id++;
                    for (int f : followers) {
                        c.out.arrayHeader(3).bulk("LPUSH").bulk(keys[f]).bulk(tweet);
                        c.out.arrayHeader(4).bulk("LTRIM").bulk(keys[f]).bulk("0").bulk(trimEnd);
                    }
                    sent.addAndGet(followers.length);
                    c.out.flushIfFull();
                }
                c.out.arrayHeader(1).bulk("PING"); // marks the end of the stream for the reader
                c.out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "redis-fanout-writer");
        Thread reader = new Thread(() -> {
            try {
                InputStream in = c.in;
                long n = 0;
                while (true) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    if (b == ':') {
                        n++;
                        if ((n & 1023) == 0) {
                            pushes.set(n);
                        }
                    } else if (b == '-') {
                        errors[0]++;
                    } else if (b == '+' && (b = in.read()) == 'P') { // the writer's closing PING
                        while (b != '\n' && b >= 0) {
                            b = in.read();
                        }
                        pushes.set(n);
                        return;
                    }
                    while (b != '\n') { // skip the rest of the line: ":801\r\n" or "+OK\r\n"
                        b = in.read();
                        if (b < 0) {
                            return;
                        }
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "redis-fanout-reader");
        writer.start();
        reader.start();
        Thread.sleep(3_000); // warm-up: server and client threads in their steady state
        long c0 = pushes.get();
        long t0 = System.nanoTime();
        long cpu0 = cpuTicks(serverPid);
        Thread.sleep((long) (seconds * 1_000));
        long c1 = pushes.get();
        long t1 = System.nanoTime();
        long cpu1 = cpuTicks(serverPid);
        stop.set(true);
        writer.join();
        reader.join(60_000);
        if (reader.isAlive() || errors[0] > 0 || pushes.get() != sent.get()) {
            throw new IllegalStateException("pipeline did not drain: " + errors[0] + " errors, "
                    + pushes.get() + " of " + sent.get() + " replies");
        }
        double rate = (c1 - c0) / ((t1 - t0) / 1e9);
        double share = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / TICKS_PER_SECOND / ((t1 - t0) / 1e9);
        System.out.printf(Locale.ROOT, "  LPUSH+LTRIM pipelined: %,.0f inserts/s (%,d inserts in %.1f s, %,d sent in all); "
                        + "redis-server used %.0f%% of a core meanwhile%n",
                rate, c1 - c0, (t1 - t0) / 1e9, sent.get(), 100 * share);
        return new Fanout(rate, share);
    }

    /** INFO memory's used_memory: what redis-server's allocator has handed out. */
    private static long usedMemory(Conn c) throws IOException {
        String info = new String((byte[]) c.call("INFO", "memory"), StandardCharsets.UTF_8);
        return info.lines().filter(l -> l.startsWith("used_memory:"))
                .mapToLong(l -> Long.parseLong(l.substring("used_memory:".length()).trim())).findFirst().orElse(-1);
    }

    /** USER_HZ: the unit of /proc/PID/stat times (100 on Linux). */
    private static final double TICKS_PER_SECOND = 100.0;

    /** User plus system CPU time of a process in clock ticks, or -1 where /proc is not there. */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static Conn connect(int port, Process server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                Conn c = new Conn(new Socket(InetAddress.getLoopbackAddress(), port));
                if ("PONG".equals(c.call("PING"))) {
                    return c;
                }
            } catch (IOException notYet) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("redis-server did not start on port " + port, notYet);
                }
                Thread.sleep(20);
            }
        }
    }

    private static @Nullable String onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    /** One connection: a RESP encoder over a reusable buffer, and a reply parser. */
    static final class Conn {
        final InputStream in;
        final Resp out;

        Conn(Socket socket) throws IOException {
            socket.setTcpNoDelay(true);
            socket.setSendBufferSize(1 << 20);
            socket.setReceiveBufferSize(1 << 20);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new Resp(socket.getOutputStream());
        }

        Object call(Object... args) throws IOException {
            out.arrayHeader(args.length);
            for (Object a : args) {
                if (a instanceof byte[] b) {
                    out.bulk(b);
                } else {
                    out.bulk(a.toString());
                }
            }
            out.flush();
            return readReply();
        }

        Object readReply() throws IOException {
            int type = in.read();
            String line = readLine();
            switch (type) {
                case '+':
                    return line;
                case '-':
                    throw new IllegalStateException("redis: " + line);
                case ':':
                    return Long.parseLong(line);
                case '$': {
                    int len = Integer.parseInt(line);
                    if (len < 0) {
                        return new byte[0];
                    }
                    byte[] b = in.readNBytes(len + 2);
                    return java.util.Arrays.copyOf(b, len);
                }
                case '*': {
                    int n = Integer.parseInt(line);
                    Object[] items = new Object[Math.max(0, n)];
                    for (int i = 0; i < n; i++) {
                        items[i] = readReply();
                    }
                    return items;
                }
                default:
                    throw new EOFException("reply type " + type);
            }
        }

        private String readLine() throws IOException {
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) != '\r') {
                if (b < 0) {
                    throw new EOFException();
                }
                sb.append((char) b);
            }
            in.read(); // '\n'
            return sb.toString();
        }
    }

    /** Encodes RESP arrays of bulk strings into a buffer; no allocation per command. */
    static final class Resp {
        private final OutputStream out;
        private final byte[] buf = new byte[1 << 17];
        private int pos;

        Resp(OutputStream out) {
            this.out = out;
        }

        Resp arrayHeader(int n) throws IOException {
            ensure(24);
            buf[pos++] = '*';
            number(n);
            return crlf();
        }

        Resp bulk(String s) throws IOException {
            return bulk(s.getBytes(StandardCharsets.US_ASCII));
        }

        Resp bulk(byte[] b) throws IOException {
            ensure(b.length + 32);
            buf[pos++] = '$';
            number(b.length);
            crlf();
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return crlf();
        }

        Resp bulk(long v) throws IOException {
            ensure(48);
            int digits = digits(v);
            buf[pos++] = '$';
            number(digits);
            crlf();
            number(v);
            return crlf();
        }

        void flushIfFull() throws IOException {
            if (pos > buf.length / 2) {
                flush();
            }
        }

        void flush() throws IOException {
            out.write(buf, 0, pos);
            out.flush();
            pos = 0;
        }

        private void ensure(int n) throws IOException {
            if (pos + n > buf.length) {
                flush();
            }
        }

        private Resp crlf() {
            buf[pos++] = '\r';
            buf[pos++] = '\n';
            return this;
        }

        private void number(long v) {
            if (v < 0) {
                throw new IllegalArgumentException("v: " + v + " (expected: >= 0)");
            }
            int d = digits(v);
            for (int i = pos + d - 1; i >= pos; i--) {
                buf[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            pos += d;
        }

        private static int digits(long v) {
            int d = 1;
            while (v >= 10) {
                v /= 10;
                d++;
            }
            return d;
        }
    }
}
