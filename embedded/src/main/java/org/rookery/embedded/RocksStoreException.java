package org.rookery.embedded;

/**
 * RocksDB refused an operation (I/O error, corruption, a write stalled into failure). For a
 * {@link RocksStore#commit} it means nothing of the batch was applied, so the caller may retry.
 */
public final class RocksStoreException extends org.rookery.core.store.StoreException {
    private static final long serialVersionUID = 1L;

    public RocksStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
