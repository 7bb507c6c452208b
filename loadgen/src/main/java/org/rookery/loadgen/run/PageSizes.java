package org.rookery.loadgen.run;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many statuses timeline reads returned, from a sample of the answers: a read of an empty or
 * half-empty timeline costs the server far less than a page of 20 hydrated statuses, so a result
 * says what it measured. Every {@code every}-th answer is counted (parsing each would take the
 * generator's share of the cores from the server).
 *
 * <p>Thread-safe.
 */
public final class PageSizes {
    private static final JsonFactory JSON = new JsonFactory();

    private final int every;
    private final int fullPage;
    private final AtomicLong seen = new AtomicLong();
    private final LongAdder sampled = new LongAdder();
    private final LongAdder statuses = new LongAdder();
    private final LongAdder full = new LongAdder();
    private final LongAdder empty = new LongAdder();

    public PageSizes(int every, int fullPage) {
        if (every < 1 || fullPage < 1) {
            throw new IllegalArgumentException("every: " + every + ", fullPage: " + fullPage + " (expected: >= 1)");
        }
        this.every = every;
        this.fullPage = fullPage;
    }

    /**
     * Whether the next request's answer is one of the sample, to decide before sending it (an answer
     * outside the sample need not be kept: {@link HttpTarget#getDiscardingBody}). Counts the request.
     */
    public boolean sampleNext() {
        return seen.getAndIncrement() % every == 0;
    }

    /** Counts the statuses of a sampled successful answer's JSON array (one that {@link #sampleNext} chose). */
    public void count(byte[] body) {
        int n = countArrayElements(body);
        if (n < 0) {
            return;
        }
        sampled.increment();
        statuses.add(n);
        if (n >= fullPage) {
            full.increment();
        } else if (n == 0) {
            empty.increment();
        }
    }

    /** The number of elements of a top-level JSON array, or -1 if {@code body} is not one. */
    static int countArrayElements(byte[] body) {
        try (JsonParser jp = JSON.createParser(body)) {
            if (jp.nextToken() != JsonToken.START_ARRAY) {
                return -1;
            }
            int n = 0;
            JsonToken t;
            while ((t = jp.nextToken()) != null && t != JsonToken.END_ARRAY) {
                jp.skipChildren();
                n++;
            }
            return t == JsonToken.END_ARRAY ? n : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    public long sampled() {
        return sampled.sum();
    }

    public double meanStatuses() {
        long s = sampled.sum();
        return s == 0 ? 0 : (double) statuses.sum() / s;
    }

    /** The figures for the result: answers counted, mean statuses each, shares of full and empty pages. */
    public Map<String, Object> summary() {
        long s = sampled.sum();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sampled", s);
        m.put("sample_every", every);
        m.put("mean_statuses", s == 0 ? null : Math.round(meanStatuses() * 100) / 100.0);
        m.put("full_pages", s == 0 ? null : Math.round(1000.0 * full.sum() / s) / 1000.0);
        m.put("empty_pages", s == 0 ? null : Math.round(1000.0 * empty.sum() / s) / 1000.0);
        return m;
    }
}
