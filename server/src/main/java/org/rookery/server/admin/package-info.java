@NullMarked
package org.rookery.server.admin;

import org.jspecify.annotations.NullMarked;
