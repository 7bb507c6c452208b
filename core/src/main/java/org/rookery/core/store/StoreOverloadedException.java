package org.rookery.core.store;

/**
 * The store refused a {@link KeyValueStore#commit} at once because too many batches are already
 * waiting to be written: nothing of the batch was applied, and the caller should retry after a short
 * pause rather than queue behind the backlog. The API answers it with {@code 503} and
 * {@code Retry-After}.
 */
public class StoreOverloadedException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreOverloadedException(String message) {
        super(message, null);
    }
}
