package org.ducisc.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ducisc.tensor.Tensor;

/**
 * Named model state in PyTorch state-dict order: float tensors, and int64 counters such as
 * {@code num_batches_tracked}. A module's state dict holds its live tensors (no copies).
 */
public final class StateDict {
    /** Differences named in a mismatch message (a wrong network can differ in every entry). */
    private static final int MAX_PROBLEMS_SHOWN = 5;
    private final LinkedHashMap<String, Object> entries = new LinkedHashMap<>();

    public void putTensor(String name, Tensor t) {
        entries.put(name, t);
    }

    public void putCounter(String name, Module.Counter c) {
        entries.put(name, c);
    }

    /** A detached counter value, for state read from a file. */
    public void putLong(String name, long value) {
        Module.Counter c = new Module.Counter();
        c.set(value);
        entries.put(name, c);
    }

    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public boolean isCounter(String name) {
        return entries.get(name) instanceof Module.Counter;
    }

    public Tensor tensor(String name) {
        if (!(entries.get(name) instanceof Tensor t)) {
            throw new IllegalArgumentException("state entry '" + name + "' is not a tensor");
        }
        return t;
    }

    public long counter(String name) {
        if (!(entries.get(name) instanceof Module.Counter c)) {
            throw new IllegalArgumentException("state entry '" + name + "' is not an integer counter");
        }
        return c.get();
    }

    public Map<String, Object> entries() {
        return java.util.Collections.unmodifiableMap(entries);
    }

    /** Shape of an entry as PyTorch reports it (a counter is a 0-dim scalar). */
    public long[] shape(String name) {
        Object o = entries.get(name);
        return o instanceof Tensor t ? t.shape() : new long[0];
    }

    /**
     * Overwrites every entry of this (live) state from {@code source}, after checking that both
     * have exactly the same names, kinds and shapes; otherwise throws naming the differences, the
     * model's entries in order first, then the source's extra ones (at most five, and how many more).
     */
    void copyFrom(StateDict source) {
        List<String> problems = new ArrayList<>();
        for (String name : entries.keySet()) {
            if (!source.entries.containsKey(name)) {
                problems.add("missing " + name + " " + Arrays.toString(shape(name)));
            } else if (isCounter(name) != source.isCounter(name)) {
                problems.add("wrong kind " + name + " (" + (isCounter(name) ? "int64 expected" : "float32 expected") + ")");
            } else if (!Arrays.equals(shape(name), source.shape(name))) {
                problems.add("wrong shape " + name + " " + Arrays.toString(source.shape(name)) + ", expected "
                        + Arrays.toString(shape(name)));
            }
        }
        for (String name : source.entries.keySet()) {
            if (!entries.containsKey(name)) {
                problems.add("unexpected " + name + " " + Arrays.toString(source.shape(name)));
            }
        }
        if (!problems.isEmpty()) {
            int shown = Math.min(problems.size(), MAX_PROBLEMS_SHOWN);
            throw new IllegalArgumentException("state dict does not match the model: "
                    + String.join("; ", problems.subList(0, shown))
                    + (shown < problems.size() ? "; and " + (problems.size() - shown) + " more" : ""));
        }
        for (Map.Entry<String, Object> e : entries.entrySet()) {
            if (e.getValue() instanceof Module.Counter c) {
                c.set(source.counter(e.getKey()));
            } else {
                ((Tensor) e.getValue()).copyFrom(source.tensor(e.getKey()));
            }
        }
    }
}
