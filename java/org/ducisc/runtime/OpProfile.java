package org.ducisc.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.ducisc.backend.Backend;

/**
 * Wall time spent in each kind of backend operation, like torch.profiler's key_averages: while a
 * profile is {@linkplain #start() started}, every tensor allocated through {@link Backends#of}
 * gets a {@link ProfilingBackend} that times each primitive call into this profile, so every op
 * of the autograd and tensor layers is seen (the seam they all pass through). Tensors allocated
 * while no profile runs use the device's backend directly: profiling costs nothing when off.
 *
 * <p>Times are wall-clock around the call. On the CPU a call returns when its work is done; on an
 * asynchronous device (CUDA) the figure is launch time, not kernel time. Nested work is not
 * double-counted: a backend's own internal helpers do not pass through the decorator.
 * Thread-safe: concurrent callers add into the same rows.
 */
public final class OpProfile {
    private static final AtomicReference<OpProfile> ACTIVE = new AtomicReference<>();

    private final Map<String, Row> rows = new ConcurrentHashMap<>();
    private final Map<Backend, Backend> decorators = new ConcurrentHashMap<>();

    private OpProfile() {
    }

    /** One op kind: its name, its group (conv, batch norm, ...), calls and nanoseconds. */
    private record Row(String group, LongAdder calls, LongAdder nanos) {
    }

    /** One line of {@link #rows}: seconds and calls summed since the last {@link #reset}. */
    public record Entry(String group, String name, long calls, double seconds) {
    }

    /**
     * Starts recording; tensors allocated from now on are timed. Only one profile runs at a time.
     *
     * @throws IllegalStateException if a profile is already running
     */
    public static OpProfile start() {
        OpProfile p = new OpProfile();
        if (!ACTIVE.compareAndSet(null, p)) {
            throw new IllegalStateException("an op profile is already running");
        }
        return p;
    }

    /** Stops recording new tensors (tensors allocated meanwhile keep reporting here until freed). */
    public void stop() {
        ACTIVE.compareAndSet(this, null);
    }

    /** The running profile, or null: read by {@link Backends#of} once per allocation. */
    static OpProfile active() {
        return ACTIVE.get();
    }

    /** The timing decorator of {@code backend} for this profile, one per backend. */
    Backend decorate(Backend backend) {
        return decorators.computeIfAbsent(backend, b -> new ProfilingBackend(b, this));
    }

    /** Forgets everything recorded so far (after a warm-up). */
    public void reset() {
        rows.clear();
    }

    void add(String group, String name, long nanos) {
        Row r = rows.computeIfAbsent(name, k -> new Row(group, new LongAdder(), new LongAdder()));
        r.calls.increment();
        r.nanos.add(nanos);
    }

    /** The recorded rows, longest first. */
    public List<Entry> rows() {
        List<Entry> out = new ArrayList<>();
        rows.forEach((name, r) -> out.add(new Entry(r.group, name, r.calls.sum(), r.nanos.sum() / 1e9)));
        out.sort(Comparator.comparingDouble(Entry::seconds).reversed().thenComparing(Entry::name));
        return out;
    }

    /**
     * A table of the time per op kind, per group and in total, scaled to one repetition of a
     * workload that ran {@code repetitions} times in {@code totalSeconds} of wall time. The last
     * row before the total, "outside backend ops", is the wall time no backend call accounts for
     * (autograd bookkeeping, host-side Java, the caller's own loops), so the rows sum to the
     * measured total.
     *
     * @throws IllegalArgumentException if {@code repetitions < 1}
     */
    public String table(double totalSeconds, int repetitions) {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be >= 1, got " + repetitions);
        }
        List<Entry> entries = rows();
        double per = 1.0 / repetitions;
        double total = totalSeconds * per;
        StringBuilder sb = new StringBuilder();
        String fmt = "%-58s %8s %10s %7s%n";
        sb.append(String.format(Locale.ROOT, fmt, "op (per repetition)", "calls", "seconds", "%"));
        Map<String, double[]> groups = new java.util.TreeMap<>();
        double inOps = 0;
        for (Entry e : entries) {
            double s = e.seconds * per;
            inOps += s;
            groups.computeIfAbsent(e.group, g -> new double[1])[0] += s;
            sb.append(String.format(Locale.ROOT, fmt, e.name, fmt(e.calls * per), String.format(Locale.ROOT,
                    "%.4f", s), String.format(Locale.ROOT, "%.1f", 100 * s / total)));
        }
        sb.append(String.format(Locale.ROOT, fmt, "outside backend ops (autograd, host Java)", "",
                String.format(Locale.ROOT, "%.4f", total - inOps),
                String.format(Locale.ROOT, "%.1f", 100 * (total - inOps) / total)));
        sb.append(String.format(Locale.ROOT, fmt, "total (measured wall time)", "",
                String.format(Locale.ROOT, "%.4f", total), "100.0"));
        sb.append(String.format(Locale.ROOT, "%nby group:%n"));
        groups.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(g -> sb.append(String.format(Locale.ROOT, fmt, g.getKey(), "",
                        String.format(Locale.ROOT, "%.4f", g.getValue()[0]),
                        String.format(Locale.ROOT, "%.1f", 100 * g.getValue()[0] / total))));
        sb.append(String.format(Locale.ROOT, fmt, "outside backend ops", "",
                String.format(Locale.ROOT, "%.4f", total - inOps),
                String.format(Locale.ROOT, "%.1f", 100 * (total - inOps) / total)));
        return sb.toString();
    }

    private static String fmt(double calls) {
        return calls == Math.rint(calls) ? String.format(Locale.ROOT, "%.0f", calls)
                : String.format(Locale.ROOT, "%.1f", calls);
    }
}
