/** Client-visible failures. */
@NullMarked
package org.rookery.core.error;

import org.jspecify.annotations.NullMarked;
