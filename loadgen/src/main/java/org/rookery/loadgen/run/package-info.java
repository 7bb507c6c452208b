/**
 * Running load: the HTTP client, the bulk loader, the open-loop scheduler (latency from the
 * scheduled send time), per-operation statistics, delivery-lag probes and the server's metrics.
 */
@NullMarked
package org.rookery.loadgen.run;

import org.jspecify.annotations.NullMarked;
