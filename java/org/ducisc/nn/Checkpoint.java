package org.ducisc.nn;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.io.Pth;
import org.ducisc.io.Safetensors;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * Model checkpoints as safetensors files whose keys are exactly the PyTorch state-dict names of
 * the reference model, so a state dict saved from PyTorch loads here and ours loads there. Our own
 * facts (architecture, base filters, classes, iteration, data set, labelnum, seed) go into the
 * header's {@code __metadata__}; a file without them still loads, its shape read from the weights.
 */
public final class Checkpoint {
    public static final String ARCHITECTURE = "ducisc-vnet";

    private Checkpoint() {
    }

    /**
     * Writes the model's state atomically (a crash mid-write never leaves a truncated file under
     * {@code file}); {@code extra} metadata is added to the network's own.
     */
    public static void save(Path file, VNet model, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(describe(model.config()));
        meta.putAll(extra);
        Safetensors.write(file, entries("", model.stateDict()), meta);
    }

    /** The entries of {@code state}, each named {@code prefix + name} (float tensors as F32, counters as one I64). */
    public static List<Safetensors.Entry> entries(String prefix, StateDict state) {
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (String name : state.names()) {
            entries.add(state.isCounter(name)
                    ? Safetensors.Entry.longs(prefix + name, new long[] {state.counter(name)})
                    : Safetensors.Entry.of(prefix + name, state.tensor(name)));
        }
        return entries;
    }

    /** The metadata that describes a network configuration. */
    public static Map<String, String> describe(VNet.Config c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("architecture", ARCHITECTURE);
        m.put("in_channels", Integer.toString(c.inChannels()));
        m.put("classes", Integer.toString(c.classes()));
        m.put("base_filters", Integer.toString(c.baseFilters()));
        m.put("deep_supervision", Boolean.toString(c.deepSupervision()));
        return m;
    }

    /**
     * The network configuration of a checkpoint: from its metadata when present, else inferred
     * from the weights (base filters and input channels from block_one.conv.0.weight, classes
     * from out_conv.weight, deep supervision from the presence of out_conv_2). Dropout is on, as
     * in the reference's training; it has no weights.
     */
    public static VNet.Config configOf(Safetensors file) {
        Map<String, String> meta = file.metadata();
        String arch = meta.get("architecture");
        if (arch != null && !arch.equals(ARCHITECTURE)) {
            throw new IllegalArgumentException(file.file() + ": architecture '" + arch + "', expected '" + ARCHITECTURE + "'");
        }
        long[][] dims = weightDims(file.file().toString(), name -> file.contains(name) ? file.info(name).shape() : null);
        int inferredFilters = (int) dims[0][0];
        int baseFilters = intMeta(file, "base_filters", inferredFilters);
        if (baseFilters != inferredFilters) {
            throw new IllegalArgumentException(file.file() + ": metadata says " + baseFilters
                    + " base filters, but " + FIRST + " has shape " + java.util.Arrays.toString(dims[0]));
        }
        try {
            return new VNet.Config(intMeta(file, "in_channels", (int) dims[0][1]),
                    intMeta(file, "classes", (int) dims[1][0]), baseFilters, true, file.contains("out_conv_2.weight"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file.file() + ": " + e.getMessage(), e);
        }
    }

    private static final String FIRST = "block_one.conv.0.weight";
    private static final String HEAD = "out_conv.weight";

    /**
     * The network configuration the weights alone imply (a PyTorch state dict has no metadata): base
     * filters and input channels from block_one.conv.0.weight (F, C, 3, 3, 3), classes from
     * out_conv.weight (K, F, 1, 1, 1), deep supervision from the presence of out_conv_2.weight;
     * {@code shapes} gives a key's shape, or null for a missing key.
     */
    static VNet.Config inferConfig(String source, java.util.function.Function<String, long[]> shapes) {
        long[][] dims = weightDims(source, shapes);
        try {
            return new VNet.Config((int) dims[0][1], (int) dims[1][0], (int) dims[0][0], true,
                    shapes.apply("out_conv_2.weight") != null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The shapes of block_one.conv.0.weight and out_conv.weight, checked: 5-d, usable channel counts. */
    private static long[][] weightDims(String source, java.util.function.Function<String, long[]> shapes) {
        long[] w = shapes.apply(FIRST);
        long[] h = shapes.apply(HEAD);
        if (w == null || h == null) {
            throw new IllegalArgumentException(source + ": not a V-Net checkpoint (no " + FIRST + " or " + HEAD + ")");
        }
        if (w.length != 5 || h.length != 5) {
            throw new IllegalArgumentException(source + ": " + FIRST + " and " + HEAD + " must be 5-d, got "
                    + java.util.Arrays.toString(w) + " and " + java.util.Arrays.toString(h));
        }
        dim(source, FIRST, w, 0);
        dim(source, FIRST, w, 1);
        dim(source, HEAD, h, 0);
        return new long[][] {w, h};
    }

    /** Axis {@code axis} of a weight's shape as an int, or an error naming the file and the weight. */
    private static int dim(String source, String name, long[] shape, int axis) {
        if (shape[axis] < 1 || shape[axis] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": " + name + " has shape " + java.util.Arrays.toString(shape)
                    + ", whose axis " + axis + " is not a usable channel count");
        }
        return (int) shape[axis];
    }

    private static int intMeta(Safetensors file, String key, int fallback) {
        String v = file.metadata().get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file.file() + ": metadata " + key + " = '" + v + "' is not an integer");
        }
    }

    /**
     * Reads the state stored under {@code prefix + name} for every name the model has. Float values must be
     * finite, and a batch norm's {@code running_var} non-negative (a variance); otherwise an
     * IllegalArgumentException names the file, the tensor, the first bad value and its index (C order).
     */
    public static StateDict readState(Safetensors file, StateDict like, String prefix, Device device) {
        StateDict out = new StateDict();
        for (String name : file.entries().keySet()) {
            if (!name.startsWith(prefix)) {
                continue;
            }
            String key = name.substring(prefix.length());
            if (file.info(name).dtype() == Safetensors.ElementType.I64) {
                long[] v = file.longs(name);
                if (v.length != 1) {
                    throw new IllegalArgumentException(file.file() + ": " + name + " must hold one int64, has " + v.length);
                }
                out.putLong(key, v[0]);
            } else {
                checkValues(file, name, key.endsWith("running_var"));
                out.putTensor(key, file.tensor(name, device));
            }
        }
        return out;
    }

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Throws if F32 entry {@code name} holds a NaN or an infinity, or with {@code variance} a negative value. */
    public static void checkValues(Safetensors file, String name, boolean variance) {
        if (file.info(name).dtype() != Safetensors.ElementType.F32) {
            return;
        }
        MemorySegment bytes = file.bytes(name);
        checkValues(file.file() + ": tensor \"" + name + "\"", bytes.byteSize() / Float.BYTES,
                i -> bytes.getAtIndex(LE_FLOAT, i), variance);
    }

    /** Throws if one of the {@code n} values holds a NaN or an infinity, or with {@code variance} a negative value. */
    private static void checkValues(String what, long n, java.util.function.LongToDoubleFunction value, boolean variance) {
        for (long i = 0; i < n; i++) {
            float v = (float) value.applyAsDouble(i);
            if (!Float.isFinite(v) || (variance && v < 0)) {
                throw new IllegalArgumentException(what + " holds " + v + " at index " + i
                        + (Float.isFinite(v) ? " (a variance must not be negative)" : " (weights must be finite)"));
            }
        }
    }

    /**
     * Builds the network a checkpoint describes and loads its weights (strictly: every name, kind and
     * shape must match, or the first differences are named). The format is told by the file's first
     * bytes, not its name: safetensors (as {@code ./ducisc train} writes) or a PyTorch {@code torch.save}
     * zip ({@code .pth}, read by {@link Pth} without executing anything).
     *
     * @throws IOException for an unreadable or malformed file ({@link Pth.FormatException} for a refused .pth)
     * @throws IllegalArgumentException when the weights do not fit a V-Net
     */
    public static VNet load(Path path, Device device) throws IOException {
        if (Pth.isZip(path)) {
            return loadPth(path, device);
        }
        try (Safetensors file = Safetensors.read(path)) {
            VNet net = new VNet(configOf(file), device, new Rng(0), new Rng(0));
            try (MemoryScope scope = MemoryScope.open()) {
                net.loadStateDict(readState(file, net.stateDict(), "", device));
            } catch (RuntimeException e) {
                net.close();
                String m = String.valueOf(e.getMessage());
                throw new IllegalArgumentException(m.startsWith(path.toString()) ? m : path + ": " + m, e);
            }
            return net;
        }
    }

    /** Builds the network a PyTorch state dict describes and loads it (float16/bfloat16 widened to float32). */
    private static VNet loadPth(Path path, Device device) throws IOException {
        Map<String, Pth.Array> arrays = Pth.readStateDict(path);
        VNet.Config config = inferConfig(path.toString(), name -> arrays.containsKey(name) ? arrays.get(name).shape() : null);
        VNet net = new VNet(config, device, new Rng(0), new Rng(0));
        try (MemoryScope scope = MemoryScope.open()) {
            StateDict state = new StateDict();
            for (Pth.Array a : arrays.values()) {
                if (a.isInteger()) {
                    if (a.longs().length != 1) {
                        throw new IllegalArgumentException(a.name() + " must hold one integer, has " + a.longs().length);
                    }
                    state.putLong(a.name(), a.longs()[0]);
                } else {
                    float[] v = a.floats();
                    checkValues("tensor \"" + a.name() + "\"", v.length, i -> v[(int) i], a.name().endsWith("running_var"));
                    state.putTensor(a.name(), Tensor.of(device, v, a.shape()));
                }
            }
            net.loadStateDict(state);
        } catch (RuntimeException e) {
            net.close();
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
        return net;
    }

    /**
     * Writes the weights of any checkpoint {@link #load} reads (a PyTorch .pth, say) as a safetensors
     * checkpoint, atomically, with the network's metadata and {@code source} = the input's file name.
     * The weights are checked against the network first, so a file that would not load is not converted.
     */
    public static VNet.Config convert(Path in, Path out) throws IOException {
        try (VNet net = load(in, Device.CPU)) {
            save(out, net, Map.of("source", String.valueOf(in.getFileName())));
            return net.config();
        }
    }

    /** Convenience for tests and tools: the one-element float entry {@code name}. */
    static float scalar(Safetensors file, String name) {
        try (Tensor t = file.tensor(name)) {
            return t.item();
        }
    }
}
