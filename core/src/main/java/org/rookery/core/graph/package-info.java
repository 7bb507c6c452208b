@NullMarked
package org.rookery.core.graph;

import org.jspecify.annotations.NullMarked;
