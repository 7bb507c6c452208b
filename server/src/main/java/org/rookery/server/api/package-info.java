@NullMarked
package org.rookery.server.api;

import org.jspecify.annotations.NullMarked;
