package org.rookery.core.model;

/** How the viewer and another account relate, as Mastodon's Relationship entity reports it. */
public record Relationship(
        long id,
        boolean following,
        boolean showingReposts,
        boolean notifying,
        boolean followedBy,
        boolean blocking,
        boolean blockedBy,
        boolean muting,
        boolean mutingNotifications,
        boolean requested,
        boolean requestedBy) {}
