package org.rookery.core.ids;

/**
 * Hands out unique, time-ordered 64-bit ids (Twitter's Snowflake). Ids from one generator strictly
 * increase; ids from generators with different worker numbers never collide.
 *
 * <p>Implementations are thread-safe.
 */
public interface IdGenerator {
    /** Returns the next id; never returns the same id twice. */
    long nextId();
}
