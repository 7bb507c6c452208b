@NullMarked
package org.rookery.core.auth;

import org.jspecify.annotations.NullMarked;
