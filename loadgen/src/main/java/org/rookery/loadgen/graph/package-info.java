/**
 * Follower graphs for load generation: a seeded heavy-tailed generator and a loader for real edge
 * lists (SNAP / Network Repository), both into one compact form, {@link org.rookery.loadgen.graph.FollowerGraph}.
 */
@NullMarked
package org.rookery.loadgen.graph;

import org.jspecify.annotations.NullMarked;
