/**
 * Embedded storage: {@link org.rookery.embedded.RocksStore}, the durable store and the event log
 * of a single-process Rookery in one RocksDB instance.
 */
@NullMarked
package org.rookery.embedded;

import org.jspecify.annotations.NullMarked;
