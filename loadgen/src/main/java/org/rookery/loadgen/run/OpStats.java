package org.rookery.loadgen.run;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Statistics of one operation ({@code home}, {@code post}, ...): an HdrHistogram of the latency of
 * successful requests in microseconds, measured from each request's <em>scheduled</em> send time
 * (so queueing in the generator or the server is never hidden), the generator's own lateness in
 * sending (send lag: scheduled to sent, the part of that latency the server never saw), counts of
 * errors, shed requests (429/503) and overflow (requests not sent because too many were
 * outstanding), and one sample per second for the charts. Requests scheduled before
 * {@code measureFrom} (warm-up) are not counted.
 *
 * <p>Thread-safe: completions are recorded from any thread; {@link #tick} is called by one thread.
 */
public final class OpStats {
    private final String name;
    private final double targetRate;
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final Recorder sendLag = new Recorder(3);
    private final Histogram sendLagTotal = new Histogram(3);
    private Histogram sendLagInterval;
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong shed = new AtomicLong();
    private final AtomicLong overflow = new AtomicLong();
    private final List<Second> seconds = new ArrayList<>();
    private volatile long measureFrom = Long.MIN_VALUE;
    private Histogram interval;
    private long lastErrors;
    private long lastShed;
    private long lastOverflow;

    /** One second of the run: successful requests, their p50/p99/max in ms, errors, shed, overflow. */
    public record Second(double t, long count, double p50, double p99, double max, long errors, long shed, long overflow) {
    }

    /** @param targetRate the scheduled rate in operations/s, 0 for a closed loop (as fast as possible) */
    public OpStats(String name, double targetRate) {
        this.name = name;
        this.targetRate = targetRate;
    }

    public String name() {
        return name;
    }

    public double targetRate() {
        return targetRate;
    }

    /** Requests scheduled before this {@link System#nanoTime()} are warm-up and not counted. */
    public void measureFrom(long nanoTime) {
        this.measureFrom = nanoTime;
    }

    /** Records the end of a request scheduled at {@code scheduledNanos} that ended at {@code endNanos}. */
    public void complete(long scheduledNanos, long endNanos, Outcome outcome) {
        if (scheduledNanos - measureFrom < 0) {
            return;
        }
        switch (outcome) {
            case OK -> recorder.recordValue(Math.max(1, (endNanos - scheduledNanos) / 1_000));
            case SHED -> shed.incrementAndGet();
            case ERROR -> errors.incrementAndGet();
        }
    }

    /**
     * Records that a request scheduled at {@code scheduledNanos} was handed to the client at
     * {@code sentNanos}: how late the generator itself was (its sender thread woken late, or busy).
     */
    public void sent(long scheduledNanos, long sentNanos) {
        if (scheduledNanos - measureFrom >= 0) {
            sendLag.recordValue(Math.max(0, (sentNanos - scheduledNanos) / 1_000));
        }
    }

    /** A request that was due at {@code scheduledNanos} but not sent: the outstanding bound was reached. */
    public void overflow(long scheduledNanos) {
        if (scheduledNanos - measureFrom >= 0) {
            overflow.incrementAndGet();
        }
    }

    /** Closes the current second (called once a second and once at the end); returns its figures. */
    public synchronized Second tick(double t) {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        sendLagInterval = sendLag.getIntervalHistogram(sendLagInterval);
        sendLagTotal.add(sendLagInterval);
        long e = errors.get();
        long s = shed.get();
        long o = overflow.get();
        Second sec = new Second(t, interval.getTotalCount(), ms(interval.getValueAtPercentile(50)),
                ms(interval.getValueAtPercentile(99)), ms(interval.getMaxValue()), e - lastErrors, s - lastShed, o - lastOverflow);
        lastErrors = e;
        lastShed = s;
        lastOverflow = o;
        if (sec.count() > 0 || sec.errors() > 0 || sec.shed() > 0 || sec.overflow() > 0) {
            seconds.add(sec);
        }
        return sec;
    }

    /** All successful requests so far (after a final {@link #tick}). */
    public synchronized Histogram histogram() {
        return total.copy();
    }

    /** Send lag in microseconds of every request sent so far by an open loop (after a final {@link #tick}); empty for a closed loop. */
    public synchronized Histogram sendLag() {
        return sendLagTotal.copy();
    }

    public synchronized List<Second> seconds() {
        return List.copyOf(seconds);
    }

    public long errors() {
        return errors.get();
    }

    public long shed() {
        return shed.get();
    }

    public long overflow() {
        return overflow.get();
    }

    static double ms(long micros) {
        return micros / 1000.0;
    }
}
