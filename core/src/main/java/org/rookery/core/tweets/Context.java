package org.rookery.core.tweets;

import java.util.List;
import org.rookery.core.model.Tweet;

/** A conversation around one tweet: ancestors oldest first, descendants in thread order. */
public record Context(List<Tweet> ancestors, List<Tweet> descendants) {}
