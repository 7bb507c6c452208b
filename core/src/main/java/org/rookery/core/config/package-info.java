@NullMarked
package org.rookery.core.config;

import org.jspecify.annotations.NullMarked;
