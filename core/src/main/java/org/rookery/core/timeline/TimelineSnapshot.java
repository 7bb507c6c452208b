package org.rookery.core.timeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The home timelines written to one file on a clean shutdown and loaded at the next start, so that
 * a restart does not rebuild every recently active user's timeline from the store (minutes at
 * 100,000 users; Redis's RDB file plays this part for Twitter's timeline lists).
 *
 * <p>A snapshot holds the {@link TimelineStore}'s resident timelines (most recently active first,
 * with when each user was last active), the {@link TweetIndex}, the {@link FanoutPolicy}'s pull
 * ranges (a stored timeline lacks exactly the tweets inside them, which reads merge; after a
 * rebuild from the store nothing is missing, so without a snapshot they need not survive a
 * restart, but with one they must), and the fanout consumer's position in each event-log
 * partition when it was taken. It is only valid for a store in which the consumer is still at
 * exactly those positions: every event before them is in the snapshot, none after.
 * {@link #restore} refuses any other (a crash after the snapshot's start moved the consumer on),
 * as it refuses a file that fails its checksum; the caller then rebuilds from the store as
 * without a snapshot. A snapshot is written to a temporary file, synced, and renamed into place, so
 * a crash while writing leaves the previous file or none.
 *
 * <p>Layout (big-endian): magic {@code RKTLSNP1}; partitions and their positions; pull ranges
 * (author, count, froms, untils); tweet-index entries (five longs and the flags each), oldest
 * first; timelines (user, last active, count, entries newest first); the CRC32C of everything
 * before it. Each pull range, index entry and timeline is preceded by an int 1, each list ends
 * with an int 0.
 */
public final class TimelineSnapshot {
    /** The file's name in the data directory. */
    public static final String FILE_NAME = "timelines.snapshot";
    private static final long MAGIC = 0x524B_544C_534E_5031L; // "RKTLSNP1"
    private static final int BUFFER_BYTES = 1 << 20;
    private static final int MAX_ENTRIES = 1 << 23;
    /** More than a policy keeps ({@code FanoutPolicy} joins the oldest beyond 8). */
    private static final int MAX_RANGES = 1 << 10;

    /** What a write or a restore moved. */
    public record Counts(int users, long entries, int tweets, long bytes) {}

    /** The snapshot does not fit the store it was to be loaded into, or is damaged; nothing was loaded. */
    public static final class UnusableSnapshotException extends IOException {
        public UnusableSnapshotException(String message) {
            super(message);
        }
    }

    private TimelineSnapshot() {}

    /**
     * Writes {@code store}'s resident timelines and {@code index} to {@code file}, recording the fanout
     * consumer's {@code positions} (by partition). Call it with the consumer stopped, so that the
     * timelines hold exactly the events before those positions.
     */
    public static Counts write(Path file, TimelineStore store, TweetIndex index, FanoutPolicy policy, long[] positions)
            throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        long[] users = {0};
        long[] entries = {0};
        long[] tweets = {0};
        long bytes;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Out out = new Out(ch);
            out.putLong(MAGIC);
            out.putInt(positions.length);
            out.putLongs(positions, 0, positions.length);
            policy.forEachPullRange((author, from, until) -> {
                out.putInt(1);
                out.putLong(author);
                out.putInt(from.length);
                out.putLongs(from, 0, from.length);
                out.putLongs(until, 0, until.length);
            });
            out.putInt(0);
            index.forEach(m -> {
                out.putInt(1);
                out.putLong(m.tweetId());
                out.putLong(m.authorId());
                out.putLong(m.originalId());
                out.putLong(m.originalAuthorId());
                out.putLong(m.replyToAccountId());
                out.putInt(m.flags());
                tweets[0]++;
            });
            out.putInt(0);
            store.forEachResident((user, lastActive, list, count) -> {
                out.putInt(1);
                out.putLong(user);
                out.putLong(lastActive);
                out.putInt(count);
                out.putLongs(list, 0, count);
                users[0]++;
                entries[0] += count;
            });
            out.putInt(0);
            bytes = out.finish();
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Counts((int) users[0], entries[0], (int) tweets[0], bytes);
    }

    /**
     * Loads {@code file} into an empty {@code store}, {@code index} and {@code policy} (its pull
     * ranges) if its checksum holds and it was taken at exactly {@code positions}; the most recently
     * active users first, until the store is full. Throws {@link UnusableSnapshotException} (having
     * loaded nothing) otherwise.
     */
    public static Counts restore(Path file, TimelineStore store, TweetIndex index, FanoutPolicy policy,
                                 long[] positions) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8 + 4 + 4 + 4 + 8) {
                throw new UnusableSnapshotException("too short: " + size + " bytes");
            }
            verifyChecksum(ch, size);
            In in = new In(ch, size - 8);
            if (in.getLong() != MAGIC) {
                throw new UnusableSnapshotException("not a timeline snapshot");
            }
            int partitions = in.getInt();
            if (partitions != positions.length) {
                throw new UnusableSnapshotException("taken with " + partitions + " partitions, the log has "
                        + positions.length);
            }
            long[] taken = new long[partitions];
            in.getLongs(taken, partitions);
            if (!Arrays.equals(taken, positions)) {
                throw new UnusableSnapshotException("taken at fanout positions " + Arrays.toString(taken)
                        + ", the consumer is at " + Arrays.toString(positions));
            }
            while (in.getInt() == 1) {
                long author = in.getLong();
                int ranges = in.getInt();
                if (ranges <= 0 || ranges > MAX_RANGES) {
                    throw new IOException(ranges + " pull ranges of one author in a checksummed snapshot");
                }
                long[] from = new long[ranges];
                long[] until = new long[ranges];
                in.getLongs(from, ranges);
                in.getLongs(until, ranges);
                policy.restorePullRanges(author, from, until);
            }
            int tweets = 0;
            while (in.getInt() == 1) {
                index.put(new TweetIndex.Meta(in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getLong(),
                        in.getInt()));
                tweets++;
            }
            int users = 0;
            long entries = 0;
            long[] list = new long[Math.min(MAX_ENTRIES, Math.max(store.capacity(), 1024))];
            while (in.getInt() == 1 && store.residentUsers() < store.maxResidentUsers()) {
                long user = in.getLong();
                long lastActive = in.getLong();
                int count = in.getInt();
                if (count < 0 || count > MAX_ENTRIES) {
                    throw new IOException("timeline of " + count + " entries in a checksummed snapshot");
                }
                if (count > list.length) {
                    list = new long[count];
                }
                in.getLongs(list, count);
                if (store.restore(user, lastActive, list, count)) {
                    users++;
                    entries += Math.min(count, store.capacity());
                }
            }
            return new Counts(users, entries, tweets, size);
        }
    }

    private static void verifyChecksum(FileChannel ch, long size) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES);
        long at = 0;
        long body = size - 8;
        while (at < body) {
            buf.clear().limit((int) Math.min(BUFFER_BYTES, body - at));
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new UnusableSnapshotException("truncated");
            }
            crc.update(buf.array(), 0, n);
            at += n;
        }
        ByteBuffer tail = ByteBuffer.allocate(8);
        while (tail.hasRemaining() && ch.read(tail, body + tail.position()) >= 0) {
            // reads the stored checksum
        }
        if (tail.flip().getLong() != crc.getValue()) {
            throw new UnusableSnapshotException("checksum mismatch (damaged or cut short)");
        }
    }

    /** Buffered big-endian writes to a channel, with the running CRC32C. */
    private static final class Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES);
        private final CRC32C crc = new CRC32C();
        private long written;

        Out(FileChannel ch) {
            this.ch = ch;
        }

        void putInt(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void putLong(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void putLongs(long[] a, int from, int count) throws IOException {
            int i = from;
            int end = from + count;
            while (i < end) {
                room(8);
                int k = Math.min(end - i, buf.remaining() / 8);
                buf.asLongBuffer().put(a, i, k);
                buf.position(buf.position() + 8 * k);
                i += k;
            }
        }

        private void room(int bytes) throws IOException {
            if (buf.remaining() < bytes) {
                drain();
            }
        }

        private void drain() throws IOException {
            buf.flip();
            crc.update(buf.array(), 0, buf.limit());
            while (buf.hasRemaining()) {
                written += ch.write(buf);
            }
            buf.clear();
        }

        /** Writes what is buffered and the checksum; returns the file's length. */
        long finish() throws IOException {
            drain();
            buf.putLong(crc.getValue()).flip();
            while (buf.hasRemaining()) {
                written += ch.write(buf);
            }
            return written;
        }
    }

    /** Buffered big-endian reads of a channel's first {@code end} bytes. */
    private static final class In {
        private final FileChannel ch;
        private final long end;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES);
        private long at;

        In(FileChannel ch, long end) {
            this.ch = ch;
            this.end = end;
            buf.limit(0);
        }

        int getInt() throws IOException {
            need(4);
            return buf.getInt();
        }

        long getLong() throws IOException {
            need(8);
            return buf.getLong();
        }

        void getLongs(long[] a, int count) throws IOException {
            int i = 0;
            while (i < count) {
                need(8);
                int k = Math.min(count - i, buf.remaining() / 8);
                buf.asLongBuffer().get(a, i, k);
                buf.position(buf.position() + 8 * k);
                i += k;
            }
        }

        private void need(int bytes) throws IOException {
            if (buf.remaining() >= bytes) {
                return;
            }
            buf.compact();
            while (buf.position() < bytes) {
                buf.limit((int) Math.min(buf.capacity(), buf.position() + (end - at)));
                int n = buf.hasRemaining() ? ch.read(buf, at) : -1;
                if (n <= 0) {
                    throw new IOException("snapshot ends early at byte " + at);
                }
                at += n;
            }
            buf.flip();
        }
    }
}
