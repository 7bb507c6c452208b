package org.rookery.core.event;

/** An event at its place in the log: partition and offset, as in a Kafka topic. */
public record LogRecord(int partition, long offset, Event event) {}
