/** Home timelines: the compact in-memory timeline store, fanout, read-time merge, reconstruction. */
@NullMarked
package org.rookery.core.timeline;

import org.jspecify.annotations.NullMarked;
