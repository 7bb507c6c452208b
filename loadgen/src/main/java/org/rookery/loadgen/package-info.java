/**
 * {@code rookery bench}: the load generator. {@link org.rookery.loadgen.Main} is the command line;
 * {@link org.rookery.loadgen.Workloads} holds the workloads ({@code timeline-mix}, {@code social-mix},
 * {@code spike}, {@code celebrity}, {@code ceiling}).
 */
@NullMarked
package org.rookery.loadgen;

import org.jspecify.annotations.NullMarked;
