package org.ducisc.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.tensor.Tensor;

/**
 * A layer or network: named parameters, buffers and child modules in registration order, a
 * train/eval switch, and a state dict whose names and order are PyTorch's (per module its
 * parameters, then its buffers, then its children). A module owns its tensors and frees them on
 * {@link #close()}. A module lives on one {@link #device() device}, fixed when it is built: every
 * parameter and buffer it registers must be there.
 */
public abstract class Module implements AutoCloseable {
    private final Device device;
    private final LinkedHashMap<String, Variable> parameters = new LinkedHashMap<>();
    private final LinkedHashMap<String, Object> buffers = new LinkedHashMap<>();
    private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** @param device where this module's parameters and buffers are (and must be) allocated */
    protected Module(Device device) {
        this.device = Objects.requireNonNull(device, "device");
    }

    /**
     * The device holding this module's parameters and buffers, set at construction. The engine has no
     * {@code Module.to}: a module for another device is built or loaded there (e.g. by
     * {@link Checkpoint#load}).
     */
    public Device device() {
        return device;
    }

    protected final Variable addParameter(String name, Tensor value) {
        checkName(name);
        checkDevice(name, value);
        Variable v = Variable.parameter(value);
        parameters.put(name, v);
        return v;
    }

    protected final Tensor addBuffer(String name, Tensor value) {
        checkName(name);
        checkDevice(name, value);
        buffers.put(name, value);
        return value;
    }

    /** An integer buffer (PyTorch int64), e.g. batch norm's num_batches_tracked. */
    protected final Counter addCounter(String name) {
        checkName(name);
        Counter c = new Counter();
        buffers.put(name, c);
        return c;
    }

    protected final <M extends Module> M addChild(String name, M child) {
        checkName(name);
        if (!child.device().equals(device)) {
            throw new IllegalArgumentException("module entry '" + name + "' is on " + child.device()
                    + ", its parent on " + device);
        }
        children.put(name, child);
        return child;
    }

    private void checkDevice(String name, Tensor value) {
        if (!value.device().equals(device)) {
            throw new IllegalArgumentException("module entry '" + name + "' is a tensor on " + value.device()
                    + ", the module is on " + device);
        }
    }

    private void checkName(String name) {
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalStateException("module entry '" + name + "' registered twice");
        }
    }

    public boolean isTraining() {
        return training;
    }

    /** Training mode (batch statistics, dropout) for this module and all below it. */
    public void train(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.train(on);
        }
    }

    public void eval() {
        train(false);
    }

    /** Parameters by dotted name, in registration order. */
    public Map<String, Variable> namedParameters() {
        LinkedHashMap<String, Variable> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    public List<Variable> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public long parameterCount() {
        long n = 0;
        for (Variable v : namedParameters().values()) {
            n += v.value().numel();
        }
        return n;
    }

    private void collectParameters(String prefix, Map<String, Variable> out) {
        parameters.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collectParameters(prefix + k + ".", out));
    }

    /** The live state: parameters, buffers and counters by PyTorch state-dict name (no copies). */
    public StateDict stateDict() {
        StateDict sd = new StateDict();
        collectState("", sd);
        return sd;
    }

    private void collectState(String prefix, StateDict sd) {
        parameters.forEach((k, v) -> sd.putTensor(prefix + k, v.value()));
        buffers.forEach((k, b) -> {
            if (b instanceof Counter c) {
                sd.putCounter(prefix + k, c);
            } else {
                sd.putTensor(prefix + k, (Tensor) b);
            }
        });
        children.forEach((k, m) -> m.collectState(prefix + k + ".", sd));
    }

    /**
     * Copies {@code source} into this module's state. Strict: a missing, unexpected or wrongly
     * shaped key is an error listing every offending key and shape; nothing is changed then.
     */
    public void loadStateDict(StateDict source) {
        stateDict().copyFrom(source);
    }

    /** Direct children by name, in registration order. */
    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Parameters declared by this module itself (not its children). */
    public Map<String, Variable> ownParameters() {
        return java.util.Collections.unmodifiableMap(parameters);
    }

    /** Frees every parameter, gradient and buffer of this module and its children. */
    @Override
    public void close() {
        for (Variable v : parameters.values()) {
            v.zeroGrad();
            v.value().close();
        }
        for (Object b : buffers.values()) {
            if (b instanceof Tensor t) {
                t.close();
            }
        }
        for (Module m : children.values()) {
            m.close();
        }
    }

    /** A mutable int64 buffer. */
    public static final class Counter {
        private long value;

        public long get() {
            return value;
        }

        public void set(long v) {
            value = v;
        }

        public void increment() {
            value++;
        }
    }
}
