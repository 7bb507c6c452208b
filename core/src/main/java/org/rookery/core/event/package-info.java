@NullMarked
package org.rookery.core.event;

import org.jspecify.annotations.NullMarked;
