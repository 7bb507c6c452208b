package org.rookery.core.store;

import org.jspecify.annotations.Nullable;

/**
 * The store could not do what was asked (an I/O error, a stalled write). For a
 * {@link KeyValueStore#commit} it means nothing of the batch was applied, so the caller may retry:
 * this is the retriable failure type callers branch on (Kafka's {@code RetriableException} habit).
 */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
