package org.rookery.server.api;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Cache;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rookery.core.config.Settings;
import org.rookery.core.store.MemoryOnly;
import org.rookery.core.users.Registrations;
import org.rookery.server.http.Call;
import org.rookery.server.http.Router;

/** Server discovery: NodeInfo and Mastodon's instance entities (v1 and v2). */
public final class InstanceApi {
    public static final String VERSION = "4.3.0 (compatible; Rookery 0.1.0)";
    public static final String SOURCE_URL = "https://github.com/rookery/rookery";

    private final Services s;
    /**
     * User and post totals, at most a second old. They are counters that every sign-up and post
     * merges into, so reading them walks the merges RocksDB has not folded yet (milliseconds under a
     * steady post rate); Mastodon's instance entities do not need them exact, and the ceiling
     * benchmark needs {@code /api/v1/instance} to stay trivial. NodeInfo reads them exactly.
     */
    private final Cache<Boolean, long[]> totals;

    public InstanceApi(Services s) {
        this.s = s;
        this.totals = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(1)).build();
    }

    private long[] totals() {
        return MemoryOnly.get(totals, Boolean.TRUE, k -> s.users().totals());
    }

    public void register(Router r) {
        r.get("/.well-known/nodeinfo", c -> Map.of("links", List.of(Map.of(
                "rel", "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href", c.baseUrl() + "/nodeinfo/2.0"))));
        r.get("/nodeinfo/2.0", this::nodeinfo);
        r.getMemoryFirst("/api/v1/instance", this::v1);
        r.getMemoryFirst("/api/v2/instance", this::v2);
        r.get("/api/v1/instance/rules", c -> List.of());
        r.get("/api/v1/custom_emojis", c -> List.of());
    }

    private static String domain(Call c) {
        return java.net.URI.create(c.baseUrl()).getAuthority();
    }

    private Object nodeinfo(Call c) {
        long[] totals = s.users().totals(); // exact: NodeInfo crawlers are few
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", "2.0");
        m.put("software", Map.of("name", "rookery", "version", "0.1.0"));
        m.put("protocols", List.of());
        m.put("services", Map.of("outbound", List.of(), "inbound", List.of()));
        m.put("usage", Map.of("users", Map.of("total", totals[0]), "localPosts", totals[1]));
        m.put("openRegistrations", s.registrations() == Registrations.OPEN);
        m.put("metadata", Map.of("nodeName", s.config().get(Settings.INSTANCE_TITLE)));
        return m;
    }

    private Map<String, Object> statusLimits() {
        Map<String, Object> statuses = new LinkedHashMap<>();
        statuses.put("max_characters", s.tweets().text().maxLength());
        statuses.put("max_media_attachments", 0);
        statuses.put("characters_reserved_per_url", 23);
        return statuses;
    }

    private Object v1(Call c) {
        long[] totals = totals();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("uri", domain(c));
        m.put("title", s.config().get(Settings.INSTANCE_TITLE));
        m.put("short_description", s.config().get(Settings.INSTANCE_DESCRIPTION));
        m.put("description", s.config().get(Settings.INSTANCE_DESCRIPTION));
        m.put("email", s.config().get(Settings.CONTACT_EMAIL));
        m.put("version", VERSION);
        m.put("urls", Map.of("streaming_api", c.baseUrl().replaceFirst("^http", "ws")));
        m.put("stats", Map.of("user_count", totals[0], "status_count", totals[1], "domain_count", 0));
        m.put("thumbnail", null);
        m.put("languages", List.of("en"));
        m.put("registrations", s.registrations() != Registrations.CLOSED);
        m.put("approval_required", s.registrations() == Registrations.APPROVAL);
        m.put("invites_enabled", false);
        m.put("configuration", Map.of(
                "statuses", statusLimits(),
                "accounts", Map.of("max_featured_tags", 0),
                "media_attachments", Map.of("supported_mime_types", List.of(), "image_size_limit", 0,
                        "image_matrix_limit", 0, "video_size_limit", 0, "video_frame_rate_limit", 0, "video_matrix_limit", 0),
                "polls", Map.of("max_options", 0, "max_characters_per_option", 0, "min_expiration", 0, "max_expiration", 0)));
        m.put("contact_account", null);
        m.put("rules", List.of());
        return m;
    }

    private Object v2(Call c) {
        long[] totals = totals();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", domain(c));
        m.put("title", s.config().get(Settings.INSTANCE_TITLE));
        m.put("version", VERSION);
        m.put("source_url", SOURCE_URL);
        m.put("description", s.config().get(Settings.INSTANCE_DESCRIPTION));
        m.put("usage", Map.of("users", Map.of("active_month", totals[0])));
        m.put("thumbnail", Map.of("url", c.baseUrl() + "/avatars/original/missing.png"));
        m.put("icon", List.of());
        m.put("languages", List.of("en"));
        Map<String, Object> configuration = new LinkedHashMap<>();
        configuration.put("urls", Map.of("streaming", c.baseUrl().replaceFirst("^http", "ws"), "status", c.baseUrl()));
        configuration.put("vapid", Map.of("public_key", ""));
        configuration.put("accounts", Map.of("max_featured_tags", 0, "max_pinned_statuses", 0));
        configuration.put("statuses", statusLimits());
        configuration.put("media_attachments", Map.of("supported_mime_types", List.of(), "description_limit", 0,
                "image_size_limit", 0, "image_matrix_limit", 0, "video_size_limit", 0, "video_frame_rate_limit", 0,
                "video_matrix_limit", 0));
        configuration.put("polls", Map.of("max_options", 0, "max_characters_per_option", 0, "min_expiration", 0,
                "max_expiration", 0));
        configuration.put("translation", Map.of("enabled", false));
        m.put("configuration", configuration);
        Map<String, Object> registrations = new LinkedHashMap<>();
        registrations.put("enabled", s.registrations() != Registrations.CLOSED);
        registrations.put("approval_required", s.registrations() == Registrations.APPROVAL);
        registrations.put("message", null);
        registrations.put("url", null);
        m.put("registrations", registrations);
        m.put("api_versions", Map.of("mastodon", 6));
        Map<String, Object> contact = new LinkedHashMap<>();
        contact.put("email", s.config().get(Settings.CONTACT_EMAIL));
        contact.put("account", null);
        m.put("contact", contact);
        m.put("rules", List.of());
        return m;
    }
}
