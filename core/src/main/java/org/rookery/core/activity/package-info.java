/** Activity: per-user notification timelines built from the event log by the {@code notifications} consumer. */
@NullMarked
package org.rookery.core.activity;

import org.jspecify.annotations.NullMarked;
