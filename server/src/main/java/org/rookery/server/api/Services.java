package org.rookery.server.api;

import org.rookery.core.auth.OAuthService;
import org.rookery.core.config.Config;
import org.rookery.core.event.EventLog;
import org.rookery.core.graph.GraphService;
import org.rookery.core.timeline.HomeTimelineService;
import org.rookery.core.tweets.TweetService;
import org.rookery.core.users.Registrations;
import org.rookery.core.users.UserService;

/** The core services the API needs, wired once by the server. */
public record Services(Config config, UserService users, OAuthService oauth, GraphService graph, TweetService tweets,
                       EventLog log, Registrations registrations, Renderer renderer, HomeTimelineService homeTimelines) {}
