@NullMarked
package org.rookery.core.internal;

import org.jspecify.annotations.NullMarked;
