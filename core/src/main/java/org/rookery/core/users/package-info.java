@NullMarked
package org.rookery.core.users;

import org.jspecify.annotations.NullMarked;
