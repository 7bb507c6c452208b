package org.rookery.core.store;

/**
 * Thrown inside a {@link MemoryOnly} scope by work that memory cannot answer. Not an error: the caller
 * runs the work again outside the scope. One shared instance without a stack trace, since it is
 * thrown on a hot path and never logged.
 */
public final class WouldBlockException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final WouldBlockException INSTANCE = new WouldBlockException();

    private WouldBlockException() {
        super("would block: not in memory", null, false, false);
    }

    /** The shared instance, for stores and services that refuse work inside a {@link MemoryOnly} scope. */
    public static WouldBlockException get() {
        return INSTANCE;
    }
}
