@NullMarked
package org.rookery.core.store;

import org.jspecify.annotations.NullMarked;
