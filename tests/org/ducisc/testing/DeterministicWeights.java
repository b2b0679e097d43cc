package org.ducisc.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.ducisc.nn.StateDict;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Tensor;

/**
 * The weights of tests/fixtures/vnet_f16.safetensors, computed bit-exactly as
 * tests/fixtures/make_vnet_fixtures.py computes them, so the 16-filter network can be compared
 * with PyTorch without storing its 38 MB of weights:
 *
 * <pre>
 * h = FNV-1a 32-bit of the UTF-8 bytes of the state-dict name
 * v = (i * 2654435761 + h) mod 2^32      for the flat C-order index i (exact integers)
 * u = v / 2^32 - 0.5                     (exact in double)
 * conv / conv-transpose weight = (u * 2.0) * sqrt(6.0 / fan_in),  fan_in = shape[1] * prod(shape[2:])
 * conv bias = u * 0.1;   BN weight = 1.0 + 0.2 * u;   BN bias = 0.1 * u
 * BN running_mean = 0.1 * u;   BN running_var = 1.0 + 0.5 * (u + 0.5);   num_batches_tracked = 0
 * </pre>
 *
 * each evaluated in double in that order, then rounded to float to nearest, ties to even (the
 * cast). The weight scale is He-uniform so that eval-mode activations stay of order one through
 * the 20-odd layers (with 1/sqrt(fan_in) they shrink to nothing and the test would compare biases).
 */
public final class DeterministicWeights {
    private DeterministicWeights() {
    }

    /** What a state-dict entry is, which picks the formula. */
    public enum Kind {
        CONV_WEIGHT,
        CONV_BIAS,
        BN_WEIGHT,
        BN_BIAS,
        BN_RUNNING_MEAN,
        BN_RUNNING_VAR
    }

    public static int fnv1a(String name) {
        int h = 0x811c9dc5;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    /** u in [-0.5, 0.5) for element {@code index} of the entry {@code name}. */
    public static double u(String name, long index) {
        long v = (index * 2654435761L + Integer.toUnsignedLong(fnv1a(name))) & 0xFFFF_FFFFL;
        return v / 4294967296.0 - 0.5;
    }

    /** One value; {@code fanIn} matters only for CONV_WEIGHT. */
    public static float value(String name, long index, Kind kind, long fanIn) {
        double u = u(name, index);
        double x = switch (kind) {
            case CONV_WEIGHT -> (u * 2.0) * Math.sqrt(6.0 / fanIn);
            case CONV_BIAS -> u * 0.1;
            case BN_WEIGHT -> 1.0 + 0.2 * u;
            case BN_BIAS, BN_RUNNING_MEAN -> 0.1 * u;
            case BN_RUNNING_VAR -> 1.0 + 0.5 * (u + 0.5);
        };
        return (float) x;
    }

    /** All values of an entry of the given shape, in C order. */
    public static float[] values(String name, long[] shape, Kind kind) {
        long fanIn = shape.length >= 2 ? Arrays.stream(shape, 1, shape.length).reduce(1L, Math::multiplyExact) : 1;
        float[] out = new float[Math.toIntExact(Arrays.stream(shape).reduce(1L, Math::multiplyExact))];
        for (int i = 0; i < out.length; i++) {
            out[i] = value(name, i, kind, fanIn);
        }
        return out;
    }

    /** Sets every weight and running statistic of {@code net} by the formula (num_batches_tracked stays as it is). */
    public static void fill(VNet net) {
        StateDict state = net.stateDict();
        for (String name : state.names()) {
            if (state.isCounter(name)) {
                continue;
            }
            Tensor t = state.tensor(name);
            try (Tensor v = Tensor.of(t.device(), values(name, t.shape(), kindOf(name)), t.shape())) {
                t.copyFrom(v);
            }
        }
    }

    /**
     * The kind of a V-Net state-dict entry from its name, as the script decides it: running
     * statistics are BN; in {@code <block>.conv.<k>.weight|bias} the module is a BN when
     * {@code k % 3 == 1} (conv, BN, ReLU repeat); everything else ({@code out_conv*}) is a conv.
     * {@code num_batches_tracked} has no kind: it is 0.
     */
    public static Kind kindOf(String name) {
        String[] parts = name.split("\\.");
        String leaf = parts[parts.length - 1];
        switch (leaf) {
            case "running_mean":
                return Kind.BN_RUNNING_MEAN;
            case "running_var":
                return Kind.BN_RUNNING_VAR;
            case "weight", "bias":
                break;
            default:
                throw new IllegalArgumentException("DeterministicWeights.kindOf: no formula for \"" + name + "\"");
        }
        boolean bn = parts.length >= 3 && parts[parts.length - 3].equals("conv")
                && Integer.parseInt(parts[parts.length - 2]) % 3 == 1;
        if (bn) {
            return leaf.equals("weight") ? Kind.BN_WEIGHT : Kind.BN_BIAS;
        }
        return leaf.equals("weight") ? Kind.CONV_WEIGHT : Kind.CONV_BIAS;
    }
}
