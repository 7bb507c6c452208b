/** Unique, time-ordered 64-bit ids: the {@link org.rookery.core.ids.IdGenerator} port and Snowflake. */
@NullMarked
package org.rookery.core.ids;

import org.jspecify.annotations.NullMarked;
