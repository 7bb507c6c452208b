@NullMarked
package org.rookery.core.model;

import org.jspecify.annotations.NullMarked;
