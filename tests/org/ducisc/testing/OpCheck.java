package org.ducisc.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * The one helper every op test goes through. For fresh random inputs it checks:
 * <ol>
 *   <li>the forward result against a plain reference computed in double precision;</li>
 *   <li>each input's gradient, for a random output gradient G, against central finite
 *       differences of sum(G * reference(inputs)) computed in double;</li>
 *   <li>that forward and backward repeated on the same inputs are bitwise identical.</li>
 * </ol>
 * Tests run with ducisc.poison=true, so every output buffer starts NaN-filled and an element an
 * op leaves unwritten fails the comparison. Tolerance: |ours - ref| <= rtol * (|ref| + rms(ref))
 * with rtol = 1e-4 unless changed.
 *
 * <pre>{@code
 * OpCheck.op("exp").input("x", 3, 5).run(v -> Arithmetic.exp(v[0]), in -> map(in[0], Math::exp));
 * }</pre>
 */
public final class OpCheck {
    private final String name;
    private final List<Input> inputs = new ArrayList<>();
    private double rtol = 1e-4;
    private long seed = Long.getLong("ducisc.test.seed", System.nanoTime());
    private boolean checkGradients = true;
    private Predicate<double[][]> acceptable;
    private static final int MAX_DRAWS = 1000;

    private record Input(String name, long[] shape, double low, double high, boolean normal, Tensor fixed,
                         boolean differentiable) {
    }

    private OpCheck(String name) {
        this.name = name;
    }

    public static OpCheck op(String name) {
        return new OpCheck(name);
    }

    /** A differentiable float input drawn from N(0, 1). */
    public OpCheck input(String inputName, long... shape) {
        inputs.add(new Input(inputName, shape, 0, 0, true, null, true));
        return this;
    }

    /** A differentiable float input drawn uniformly from [low, high). */
    public OpCheck input(String inputName, double low, double high, long... shape) {
        inputs.add(new Input(inputName, shape, low, high, false, null, true));
        return this;
    }

    /** A float input drawn uniformly from [low, high) that is not differentiated (masks, soft targets). */
    public OpCheck constant(String inputName, double low, double high, long... shape) {
        inputs.add(new Input(inputName, shape, low, high, false, null, false));
        return this;
    }

    /** A fixed tensor (any type, e.g. uint8 labels); passed to the reference as doubles. The caller keeps ownership. */
    public OpCheck constant(String inputName, Tensor value) {
        inputs.add(new Input(inputName, value.shape(), 0, 0, false, value, false));
        return this;
    }

    public OpCheck tolerance(double relative) {
        this.rtol = relative;
        return this;
    }

    public OpCheck seed(long s) {
        this.seed = s;
        return this;
    }

    /**
     * Redraws the inputs (from the next seed) until they pass {@code test}. For references with a
     * kink (ReLU after batch norm): where an argument lies within float32 rounding of the kink, our
     * float result and the double reference may take different sides, and no tolerance covers that.
     */
    public OpCheck where(Predicate<double[][]> test) {
        this.acceptable = test;
        return this;
    }

    /** Only the forward is checked (ops without gradient: argmax, comparisons). */
    public OpCheck forwardOnly() {
        this.checkGradients = false;
        return this;
    }

    /**
     * Runs the checks. {@code ours} gets the inputs as variables in declaration order (fixed tensors
     * as constants); {@code reference} gets them as double arrays and returns the flat output.
     */
    public void run(Function<Variable[], Variable> ours, Function<double[][], double[]> reference) {
        double[][] values = draw();
        for (int tries = 1; acceptable != null && !acceptable.test(copy(values)); tries++) {
            if (tries == MAX_DRAWS) {
                fail(name + ": no acceptable inputs in " + MAX_DRAWS + " draws from seed " + (seed - tries + 1));
            }
            seed++;
            values = draw();
        }
        double[] expected = reference.apply(copy(values));
        Result first = evaluate(ours, values, expected.length);
        Result second = evaluate(ours, values, expected.length);
        String where = name + " (seed " + seed + ", -Dducisc.test.seed=" + seed + " repeats it)";
        compare(where + " forward", first.output, expected);
        if (!Arrays.equals(first.output, second.output)) {
            fail(where + ": forward differs between two identical runs");
        }
        if (!checkGradients) {
            return;
        }
        double[] g = first.outputGrad;
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).differentiable) {
                continue;
            }
            double[] numeric = finiteDifference(reference, values, i, g);
            if (first.grads[i] == null) {
                fail(where + ": no gradient reached input '" + inputs.get(i).name + "'");
            }
            compare(where + " gradient of '" + inputs.get(i).name + "'", first.grads[i], numeric);
            if (!Arrays.equals(first.grads[i], second.grads[i])) {
                fail(where + ": gradient of '" + inputs.get(i).name + "' differs between two identical runs");
            }
        }
    }

    /** Fresh inputs from the current seed (fixed tensors as they are), each value rounded to float. */
    private double[][] draw() {
        Rng rng = new Rng(seed);
        double[][] values = new double[inputs.size()][];
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            if (in.fixed != null) {
                values[i] = toDoubles(in.fixed);
            } else {
                values[i] = new double[Math.toIntExact(numel(in.shape))];
                for (int k = 0; k < values[i].length; k++) {
                    double v = in.normal ? rng.nextGaussian() : in.low + (in.high - in.low) * rng.nextDouble();
                    values[i][k] = (float) v;
                }
            }
        }
        return values;
    }

    private record Result(float[] output, double[] outputGrad, float[][] grads) {
    }

    private Result evaluate(Function<Variable[], Variable> ours, double[][] values, int expectedLength) {
        try (MemoryScope scope = MemoryScope.open()) {
            Variable[] vars = new Variable[inputs.size()];
            for (int i = 0; i < vars.length; i++) {
                Input in = inputs.get(i);
                Tensor t = in.fixed != null ? in.fixed : Tensor.of(Device.CPU, toFloats(values[i]), in.shape);
                vars[i] = in.differentiable && checkGradients ? Variable.parameter(t) : Variable.constant(t);
            }
            Variable out = ours.apply(vars);
            float[] output = out.value().dtype() == DType.FLOAT32 ? out.value().toFloatArray()
                    : toFloats(toDoubles(out.value()));
            if (output.length != expectedLength) {
                fail(name + ": output has " + output.length + " elements " + Arrays.toString(out.shape())
                        + ", the reference " + expectedLength);
            }
            float[][] grads = new float[vars.length][];
            double[] g = null;
            if (checkGradients) {
                g = new double[output.length];
                float[] gf = new float[output.length];
                Rng r = new Rng(seed ^ 0x9E3779B97F4A7C15L);
                for (int k = 0; k < g.length; k++) {
                    gf[k] = (float) r.nextGaussian();
                    g[k] = gf[k];
                }
                out.backward(Tensor.of(Device.CPU, gf, out.shape()));
                for (int i = 0; i < vars.length; i++) {
                    if (vars[i].grad() != null) {
                        grads[i] = vars[i].grad().toFloatArray();
                        vars[i].zeroGrad();
                    }
                }
            }
            return new Result(output, g, grads);
        }
    }

    /**
     * Central differences of sum(g * reference) for at most {@link #MAX_FD_POINTS} coordinates of
     * the input (all of them for small inputs); the others are NaN and skipped by the comparison.
     */
    private double[] finiteDifference(Function<double[][], double[]> reference, double[][] values, int input,
                                      double[] g) {
        double[] grad = new double[values[input].length];
        double[][] work = copy(values);
        int[] coords = sampleCoordinates(grad.length, new Rng(seed + input));
        Arrays.fill(grad, Double.NaN);
        for (int k : coords) {
            double x = values[input][k];
            double h = 1e-6 * Math.max(1.0, Math.abs(x));
            work[input][k] = x + h;
            double plus = dot(g, reference.apply(copy(work)));
            work[input][k] = x - h;
            double minus = dot(g, reference.apply(copy(work)));
            work[input][k] = x;
            grad[k] = (plus - minus) / (2 * h);
        }
        return grad;
    }

    private static final int MAX_FD_POINTS = 200;

    private static int[] sampleCoordinates(int n, Rng rng) {
        if (n <= MAX_FD_POINTS) {
            return java.util.stream.IntStream.range(0, n).toArray();
        }
        int[] picked = new int[MAX_FD_POINTS];
        for (int i = 0; i < picked.length; i++) {
            picked[i] = rng.nextInt(n);
        }
        picked[0] = 0;
        picked[1] = n - 1;
        return picked;
    }

    /** Compares where the reference is a number; every one of our values must be finite regardless. */
    private void compare(String what, float[] ours, double[] ref) {
        if (ours.length != ref.length) {
            fail(what + ": " + ours.length + " values, reference has " + ref.length);
        }
        double sq = 0;
        int known = 0;
        for (double r : ref) {
            if (!Double.isNaN(r)) {
                sq += r * r;
                known++;
            }
        }
        double rms = Math.sqrt(sq / Math.max(1, known));
        StringBuilder bad = new StringBuilder();
        int count = 0;
        for (int i = 0; i < ours.length; i++) {
            if (!Float.isFinite(ours[i]) && Double.isNaN(ref[i])) {
                fail(what + ": element " + i + " is " + ours[i] + " (unwritten or overflowed)");
            }
            if (Double.isNaN(ref[i])) {
                continue;
            }
            double err = Math.abs(ours[i] - ref[i]);
            if (!(err <= rtol * (Math.abs(ref[i]) + rms))) {
                if (count < 5) {
                    bad.append(String.format("%n  [%d] ours %.8g, reference %.8g", i, ours[i], ref[i]));
                }
                count++;
            }
        }
        if (count > 0) {
            fail(what + ": " + count + " of " + ours.length + " values off by more than " + rtol + " relative"
                    + bad);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[][] copy(double[][] v) {
        double[][] c = new double[v.length][];
        for (int i = 0; i < v.length; i++) {
            c[i] = v[i].clone();
        }
        return c;
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    public static double[] toDoubles(Tensor t) {
        double[] d = new double[Math.toIntExact(t.numel())];
        if (t.dtype() == DType.FLOAT32) {
            float[] f = t.toFloatArray();
            for (int i = 0; i < d.length; i++) {
                d[i] = f[i];
            }
        } else {
            byte[] b = t.toByteArray();
            for (int i = 0; i < d.length; i++) {
                d[i] = Byte.toUnsignedInt(b[i]);
            }
        }
        return d;
    }

    public static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
