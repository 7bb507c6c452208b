package org.rookery.server.testing;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi31;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Validates API responses against Mastodon's OpenAPI 3.1 description
 * ({@code shared/data/mastodon-openapi/schema.json}, found by walking up from the working
 * directory). A component is validated as {@code <document>#/components/schemas/<name>}, so its
 * {@code $ref}s resolve inside the same document; {@code format} (uri, date-time) is asserted, not
 * just annotated. One known defect of the document is corrected in memory (see
 * {@link #correctedDocument()}). Thread-safe: compiled schemas are cached per component.
 *
 * <pre>{@code
 * JsonNode status = client.get("/api/v1/statuses/1", token).json();
 * MastodonSchema.assertValid("Status", status);
 * }</pre>
 */
public final class MastodonSchema {
    /** The document, relative to a directory some ancestor of the working directory has. */
    private static final Path RELATIVE = Path.of("shared", "data", "mastodon-openapi", "schema.json");

    /** Where the (corrected) document is served to the validator from memory; never fetched. */
    private static final String DOCUMENT_IRI = "https://schemas.rookery.invalid/mastodon-openapi.json";

    private static final Map<String, JsonSchema> COMPILED = new ConcurrentHashMap<>();
    private static volatile Holder holder;

    private MastodonSchema() {}

    private record Holder(String documentUri, JsonSchemaFactory factory, SchemaValidatorsConfig config) {}

    /** The schema document: the first {@code shared/data/...} found walking up (from server/: {@code ../../shared}). */
    public static Path documentPath() {
        Path found = find();
        if (found == null) {
            throw new IllegalStateException("no " + RELATIVE + " in " + Path.of("").toAbsolutePath()
                    + " or any directory above it");
        }
        return found;
    }

    private static Path find() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path here = d.resolve(RELATIVE); // from the checkout's server/ module this is the sibling shared/
            if (Files.isRegularFile(here)) {
                return here;
            }
        }
        return null;
    }

    /**
     * Whether the schema document is beside this checkout. The document is the team's shared data,
     * not part of the repository; CI always has it (and with {@code CI=true} its absence is an error),
     * while a clone elsewhere runs the behavioural assertions without schema validation.
     */
    public static boolean available() {
        if (find() != null) {
            return true;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException("CI=true but no " + RELATIVE + " beside the checkout");
        }
        if (!WARNED.getAndSet(true)) {
            System.err.println("MastodonSchema: no " + RELATIVE + " beside this checkout; responses are not"
                    + " validated against the Mastodon OpenAPI schema in this run");
        }
        return false;
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    private static Holder holder() {
        Holder h = holder;
        if (h == null) {
            synchronized (MastodonSchema.class) {
                h = holder;
                if (h == null) {
                    // The document's root is an OpenAPI object, not a schema: its keys are known, not validated.
                    JsonMetaSchema dialect = JsonMetaSchema.builder(OpenApi31.getInstance())
                            .keywords(Stream.of("openapi", "info", "externalDocs", "servers", "security", "paths",
                                    "components", "tags", "webhooks").map(NonValidationKeyword::new).toList())
                            .build();
                    String document = correctedDocument();
                    JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                            b -> b.metaSchema(dialect).defaultMetaSchemaIri(dialect.getIri())
                                    .schemaLoaders(loaders -> loaders.schemas(Map.of(DOCUMENT_IRI, document))));
                    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                            .formatAssertionsEnabled(true)
                            .build();
                    h = new Holder(DOCUMENT_IRI, factory, config);
                    holder = h;
                }
            }
        }
        return h;
    }

    /**
     * The document with its known defects corrected. Status.quote is {@code oneOf [Quote,
     * ShallowQuote, null]}, but neither object schema forbids the other's fields and both require
     * only {@code state}, so every real quote matches both and {@code oneOf} can never pass; it is
     * read as {@code anyOf}, which is what the description means.
     */
    private static String correctedDocument() {
        try {
            ObjectMapper mapper = new ObjectMapper();
            JsonNode root = mapper.readTree(documentPath().toFile());
            correctAmbiguousOneOfs(root);
            return mapper.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void correctAmbiguousOneOfs(JsonNode node) {
        if (node instanceof ObjectNode object) {
            JsonNode oneOf = object.get("oneOf");
            if (oneOf != null && oneOf.isArray()) {
                Set<String> refs = new HashSet<>();
                oneOf.forEach(alt -> refs.add(alt.path("$ref").asText()));
                if (refs.contains("#/components/schemas/Quote") && refs.contains("#/components/schemas/ShallowQuote")) {
                    object.set("anyOf", object.remove("oneOf"));
                }
            }
            object.forEach(MastodonSchema::correctAmbiguousOneOfs);
        } else if (node instanceof ArrayNode array) {
            array.forEach(MastodonSchema::correctAmbiguousOneOfs);
        }
    }

    private static JsonSchema schema(String component) {
        return COMPILED.computeIfAbsent(component, name -> {
            Holder h = holder();
            JsonSchema s = h.factory().getSchema(
                    SchemaLocation.of(h.documentUri() + "#/components/schemas/" + name), h.config());
            if (s.getSchemaNode() == null || s.getSchemaNode().isMissingNode()) {
                throw new IllegalArgumentException("no component schema named " + name);
            }
            s.initializeValidators(); // resolve every $ref now: a broken one fails here, not mid-test
            return s;
        });
    }

    /** The messages from validating {@code json} against component {@code component}; empty if valid. */
    public static List<String> validate(String component, JsonNode json) {
        if (!available()) {
            return List.of();
        }
        Set<ValidationMessage> messages = schema(component).validate(json);
        return messages.stream().map(ValidationMessage::toString).sorted().collect(Collectors.toList());
    }

    /** Fails, listing every message, unless {@code json} is a valid {@code component}. */
    public static void assertValid(String component, JsonNode json) {
        List<String> messages = validate(component, json);
        if (!messages.isEmpty()) {
            fail("response is not a valid Mastodon " + component + ":\n  "
                    + String.join("\n  ", messages) + "\nresponse: " + abbreviate(json.toString()));
        }
    }

    /** Every element of a JSON array is a valid {@code component}. */
    public static void assertEachValid(String component, JsonNode array) {
        if (!array.isArray()) {
            fail("expected a JSON array of " + component + ", got: " + abbreviate(array.toString()));
        }
        for (JsonNode item : array) {
            assertValid(component, item);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) + "…" : s;
    }
}
