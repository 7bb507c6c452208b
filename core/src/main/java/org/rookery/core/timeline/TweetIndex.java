package org.rookery.core.timeline;

import java.io.IOException;
import java.util.concurrent.locks.StampedLock;
import org.rookery.core.internal.LongIntHashMap;
import org.rookery.core.model.Tweet;

/**
 * What timelines need to know about a recent tweet, kept once per tweet instead of once per
 * timeline entry: author, the reposted original and its author, the replied-to account, and flags.
 * Timeline entries are bare tweet ids; this index turns one into its author for read-time filters
 * (mutes, blocks) and for the insert-time rules. A fixed-size ring in insertion order (tweet ids
 * arrive roughly in time order), so the oldest tweets fall out first; a miss means "ask the store".
 *
 * <p>Thread-safe: a {@link StampedLock} guards the map and rings; lookups are optimistic reads.
 */
public final class TweetIndex {
    public static final int FLAG_REPLY = 1;
    public static final int FLAG_REPOST = 2;
    public static final int FLAG_DIRECT = 4;
    public static final int FLAG_PRIVATE = 8;

    /** A looked-up entry; fields are 0 when absent. */
    public record Meta(long tweetId, long authorId, long originalId, long originalAuthorId, long replyToAccountId,
                       int flags) {
        public boolean isRepost() {
            return (flags & FLAG_REPOST) != 0;
        }

        /** The tweet a repost points at, or the tweet itself. */
        public long contentId() {
            return originalId != 0 ? originalId : tweetId;
        }

        public static Meta of(Tweet t, long originalAuthorId) {
            int flags = (t.isReply() ? FLAG_REPLY : 0) | (t.isRepost() ? FLAG_REPOST : 0)
                    | (t.visibility() == org.rookery.core.model.Visibility.DIRECT ? FLAG_DIRECT : 0)
                    | (t.visibility() == org.rookery.core.model.Visibility.PRIVATE ? FLAG_PRIVATE : 0);
            return new Meta(t.id(), t.authorId(), t.repostOfId(), originalAuthorId, t.inReplyToAccountId(), flags);
        }
    }

    private static final int MISSING = -1;

    private final int capacity;
    private final long[] tweetIds;
    private final long[] authors;
    private final long[] originals;
    private final long[] originalAuthors;
    private final long[] replyTo;
    private final byte[] flags;
    private final LongIntHashMap index;
    private final StampedLock lock = new StampedLock();
    private long written; // total puts; ring position = written % capacity

    public TweetIndex(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        }
        this.capacity = capacity;
        tweetIds = new long[capacity];
        authors = new long[capacity];
        originals = new long[capacity];
        originalAuthors = new long[capacity];
        replyTo = new long[capacity];
        flags = new byte[capacity];
        index = new LongIntHashMap(capacity);
    }

    public void put(Meta m) {
        long stamp = lock.writeLock();
        try {
            int existing = index.get(m.tweetId(), MISSING);
            int pos = existing;
            if (pos == MISSING) {
                pos = (int) (written % capacity);
                if (written >= capacity && index.get(tweetIds[pos], MISSING) == pos) {
                    // Only if the slot's tweet is still indexed here: a removed tweet left its slot
                    // behind, and that id may since have been put again at another slot.
                    index.remove(tweetIds[pos], MISSING);
                }
                written++;
                index.put(m.tweetId(), pos);
            }
            tweetIds[pos] = m.tweetId();
            authors[pos] = m.authorId();
            originals[pos] = m.originalId();
            originalAuthors[pos] = m.originalAuthorId();
            replyTo[pos] = m.replyToAccountId();
            flags[pos] = (byte) m.flags();
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Forgets a deleted tweet. */
    public void remove(long tweetId) {
        long stamp = lock.writeLock();
        try {
            int pos = index.remove(tweetId, MISSING);
            if (pos != MISSING) {
                tweetIds[pos] = 0;
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** The entry for {@code tweetId}, or null if it is not (or no longer) indexed. */
    public Meta get(long tweetId) {
        long stamp = lock.tryOptimisticRead();
        Meta m = read(tweetId);
        if (!lock.validate(stamp)) {
            stamp = lock.readLock();
            try {
                m = read(tweetId);
            } finally {
                lock.unlockRead(stamp);
            }
        }
        return m;
    }

    /** The author of {@code tweetId}, or 0 if not indexed. Allocation-free. */
    public long authorOf(long tweetId) {
        long stamp = lock.tryOptimisticRead();
        int pos = index.get(tweetId, MISSING);
        long a = pos == MISSING ? 0 : authors[pos];
        if (!lock.validate(stamp)) {
            stamp = lock.readLock();
            try {
                pos = index.get(tweetId, MISSING);
                a = pos == MISSING ? 0 : authors[pos];
            } finally {
                lock.unlockRead(stamp);
            }
        }
        return a;
    }

    private Meta read(long tweetId) {
        int pos = index.get(tweetId, MISSING);
        if (pos == MISSING || pos >= capacity || tweetIds[pos] != tweetId) {
            return null;
        }
        return new Meta(tweetId, authors[pos], originals[pos], originalAuthors[pos], replyTo[pos], flags[pos]);
    }

    /** Receives one entry from {@link #forEach}. */
    @FunctionalInterface
    public interface MetaVisitor {
        void visit(Meta m) throws IOException;
    }

    /**
     * Hands every indexed tweet to {@code visitor}, oldest put first, so that putting them in that
     * order into an empty index rebuilds this one (for a snapshot). Holds the read lock throughout:
     * writers wait.
     */
    public void forEach(MetaVisitor visitor) throws IOException {
        long stamp = lock.readLock();
        try {
            for (long k = Math.max(0, written - capacity); k < written; k++) {
                int pos = (int) (k % capacity);
                long id = tweetIds[pos];
                if (id != 0 && index.get(id, MISSING) == pos) {
                    visitor.visit(new Meta(id, authors[pos], originals[pos], originalAuthors[pos], replyTo[pos],
                            flags[pos]));
                }
            }
        } finally {
            lock.unlockRead(stamp);
        }
    }

    public int size() {
        long stamp = lock.readLock();
        try {
            return index.size();
        } finally {
            lock.unlockRead(stamp);
        }
    }

    public long ramBytesUsed() {
        return capacity * (8L * 5 + 1) + index.ramBytesUsed() + 6 * 16L;
    }
}
