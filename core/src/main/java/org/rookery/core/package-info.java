/** Rookery's core: ids, the domain model, services and the storage ports they need. */
@NullMarked
package org.rookery.core;

import org.jspecify.annotations.NullMarked;
