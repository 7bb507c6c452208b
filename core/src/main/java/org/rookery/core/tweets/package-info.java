@NullMarked
package org.rookery.core.tweets;

import org.jspecify.annotations.NullMarked;
