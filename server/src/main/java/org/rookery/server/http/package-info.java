@NullMarked
package org.rookery.server.http;

import org.jspecify.annotations.NullMarked;
