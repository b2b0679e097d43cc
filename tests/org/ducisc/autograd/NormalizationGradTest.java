package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.ducisc.backend.cpu.Parallel;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class NormalizationGradTest {
    private static final double EPS = 1e-5;
    private static final long[] S = {3, 5, 7, 4, 3};
    private static final long[] TWO = {2, 3, 5, 3, 7};
    /** More positions per channel than one kernel block, with an odd tail. */
    private static final long[] LARGE = {2, 3, 41, 43, 7};

    @Test
    void trainingMode() {
        checkTraining(S, false);
    }

    @Test
    void trainingModeFusedRelu() {
        checkTraining(TWO, true);
    }

    /**
     * The kernel's blocked path and tail, without the ReLU: at this size some of the thousands of
     * pre-activations a perturbed beta moves always cross the kink, so the finite difference of a
     * fused ReLU is no reference here; {@link #fusedReluMatchesBatchNormThenRelu} covers it.
     */
    @Test
    void trainingModeLarge() {
        checkTraining(LARGE, false);
    }

    /**
     * The bottleneck of a small network: few values per channel, a large mean and a small
     * spread, where the training-mode gradient cancels most strongly.
     */
    @Test
    void trainingModeFewValuesOffsetMean() {
        long[] shape = {2, 5, 2, 1, 3};
        checkTraining(shape, true, 3.0, 3.2);
        checkTraining(shape, false, -2.05, -2.0);
    }

    private static void checkTraining(long[] shape, boolean relu) {
        checkTraining(shape, relu, Double.NaN, Double.NaN);
    }

    private static void checkTraining(long[] shape, boolean relu, double low, double high) {
        int c = (int) shape[1];
        OpCheck check = OpCheck.op("batchNorm3d training" + (relu ? " + relu" : ""));
        check = Double.isNaN(low) ? check.input("x", shape) : check.input("x", low, high, shape);
        check
                .input("gamma", 0.5, 1.5, c).input("beta", c)
                .where(in -> !relu || clearOfKink(ChannelRef.batchNorm(in[0], shape, in[1], in[2],
                        ChannelRef.moments(in[0], shape)[0], ChannelRef.moments(in[0], shape)[1], EPS, false)))
                .run(v -> NormalizationGrad.batchNorm3d(v[0], v[1], v[2], Tensor.zeros(c),
                        Tensor.full(v[0].value().device(), org.ducisc.core.DType.FLOAT32, 1, c), true, relu),
                        in -> {
                            double[][] m = ChannelRef.moments(in[0], shape);
                            return ChannelRef.batchNorm(in[0], shape, in[1], in[2], m[0], m[1], EPS, relu);
                        });
    }

    /**
     * Whether every pre-activation is farther from the ReLU's kink than float32 rounding and the
     * finite-difference step can move it (about 1e-4 at the ill-conditioned bottleneck inputs):
     * nearer, our float result and the double reference may fall on different sides.
     */
    private static boolean clearOfKink(double[] preActivation) {
        for (double y : preActivation) {
            if (Math.abs(y) < 1e-3) {
                return false;
            }
        }
        return true;
    }

    @Test
    void evalMode() {
        checkEval(S, false);
    }

    @Test
    void evalModeFusedRelu() {
        checkEval(TWO, true);
    }

    private static void checkEval(long[] shape, boolean relu) {
        int c = (int) shape[1];
        OpCheck.op("batchNorm3d eval" + (relu ? " + relu" : "")).input("x", shape)
                .input("gamma", 0.5, 1.5, c).input("beta", c)
                .constant("runningMean", -0.5, 0.5, c).constant("runningVar", 0.3, 2, c)
                .where(in -> !relu || clearOfKink(ChannelRef.batchNorm(in[0], shape, in[1], in[2], in[3], in[4], EPS, false)))
                .run(v -> NormalizationGrad.batchNorm3d(v[0], v[1], v[2], v[3].value(), v[4].value(), false, relu),
                        in -> ChannelRef.batchNorm(in[0], shape, in[1], in[2], in[3], in[4], EPS, relu));
    }

    @Test
    void fusedReluMatchesBatchNormThenRelu() {
        for (long[] shape : new long[][] {TWO, LARGE}) {
            for (boolean training : new boolean[] {true, false}) {
                try (MemoryScope _ = MemoryScope.open()) {
                    Rng rng = new Rng(41);
                    Tensor x = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0.3, 1.2, shape);
                    Tensor gamma = Tensor.uniform(org.ducisc.core.Device.CPU, rng, 0.5, 1.5, shape[1]);
                    Tensor beta = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 1, shape[1]);
                    Tensor g = Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 1, shape);
                    float[][] fused = run(x, gamma, beta, g, training, true);
                    float[][] composed = run(x, gamma, beta, g, training, false);
                    for (int i = 0; i < fused.length; i++) {
                        // Bitwise: the fused op is the same arithmetic in fewer passes over memory.
                        org.junit.jupiter.api.Assertions.assertArrayEquals(composed[i], fused[i],
                                (training ? "training " : "eval ") + java.util.Arrays.toString(shape) + " result " + i);
                    }
                }
            }
        }
    }

    /** {output, grad x, grad gamma, grad beta} of batch norm (+ fused ReLU, or + ElementwiseGrad.relu). */
    private static float[][] run(Tensor x, Tensor gamma, Tensor beta, Tensor g, boolean training, boolean fused) {
        Variable xv = Variable.parameter(x);
        Variable gv = Variable.parameter(gamma);
        Variable bv = Variable.parameter(beta);
        Tensor rm = Tensor.zeros(gamma.numel());
        Tensor rv = Tensor.full(x.device(), org.ducisc.core.DType.FLOAT32, 1.5, gamma.numel());
        Variable y = fused ? NormalizationGrad.batchNorm3d(xv, gv, bv, rm, rv, training, true)
                : ElementwiseGrad.relu(NormalizationGrad.batchNorm3d(xv, gv, bv, rm, rv, training, false));
        y.backward(g.copy());
        float[][] out = {y.value().toFloatArray(), xv.grad().toFloatArray(), gv.grad().toFloatArray(),
            bv.grad().toFloatArray()};
        xv.zeroGrad();
        gv.zeroGrad();
        bv.zeroGrad();
        return out;
    }

    @Test
    void runningStatisticsFollowPyTorch() {
        long[] shape = {3, 4, 5, 3, 7};
        int c = 4;
        double momentum = 0.25;
        try (MemoryScope _ = MemoryScope.open()) {
            Rng rng = new Rng(7);
            float[] rm0 = {0.1f, -0.2f, 0.3f, 0.0f};
            float[] rv0 = {1.0f, 0.5f, 2.0f, 1.5f};
            Tensor rm = Tensor.of(rm0, c);
            Tensor rv = Tensor.of(rv0, c);
            double[] mean = toDoubles(rm0);
            double[] var = toDoubles(rv0);
            Variable gamma = Variable.parameter(Tensor.uniform(org.ducisc.core.Device.CPU, rng, 0.5, 1.5, c));
            Variable beta = Variable.parameter(Tensor.zeros(c));
            double m = 3.0 * 5 * 3 * 7;
            for (int step = 0; step < 2; step++) {
                Tensor x = Tensor.normal(org.ducisc.core.Device.CPU, rng, 2.0 * step - 0.5, 1.0 + step, shape);
                NormalizationGrad.batchNorm3d(Variable.constant(x), gamma, beta, rm, rv, true, momentum, EPS, false);
                double[][] stats = ChannelRef.moments(toDoubles(x.toFloatArray()), shape);
                for (int k = 0; k < c; k++) {
                    mean[k] = (1 - momentum) * mean[k] + momentum * stats[0][k];
                    var[k] = (1 - momentum) * var[k] + momentum * stats[1][k] * m / (m - 1);
                }
                assertClose(mean, rm.toFloatArray(), 1e-5, "running mean after step " + step);
                assertClose(var, rv.toFloatArray(), 1e-5, "running var after step " + step);
            }
            // Eval mode leaves the running statistics alone.
            float[] before = rv.toFloatArray();
            NormalizationGrad.batchNorm3d(Variable.constant(Tensor.normal(org.ducisc.core.Device.CPU, rng, 0, 1, shape)),
                    gamma, beta, rm, rv, false, false);
            assertArrayEquals(before, rv.toFloatArray());
        }
    }

    @Test
    void statisticsDoNotDependOnThreads() {
        try (MemoryScope _ = MemoryScope.open()) {
            Tensor x = Tensor.normal(org.ducisc.core.Device.CPU, new Rng(5), 3, 2, LARGE);
            Tensor g = Tensor.normal(org.ducisc.core.Device.CPU, new Rng(6), 0, 1, LARGE);
            float[][] parallel = kernelResults(x, g);
            float[][][] serial = new float[1][][];
            // Inside a pool task, nested kernels run all their tasks on one thread.
            Parallel.forEach(2, i -> {
                if (i == 0) {
                    serial[0] = kernelResults(x, g);
                }
            });
            for (int i = 0; i < parallel.length; i++) {
                assertArrayEquals(parallel[i], serial[0][i], "result " + i);
            }
        }
    }

    private static float[][] kernelResults(Tensor x, Tensor g) {
        try (MemoryScope _ = MemoryScope.open();
             var moments = org.ducisc.tensor.Normalization.moments(x);
             Tensor invStd = org.ducisc.tensor.Normalization.invStd(moments.var(), EPS);
             var sums = org.ducisc.tensor.Normalization.backwardReduce(x, g, x, moments.mean(), invStd)) {
            return new float[][] {moments.mean().toFloatArray(), moments.var().toFloatArray(),
                sums.sumGy().toFloatArray(), sums.sumGyXhat().toFloatArray()};
        }
    }

    @Test
    void varianceOfAnOffsetChannelIsAccurate() {
        // |mean| / std = 1e3: a one-pass E[x^2] - mean^2 in float would lose the variance.
        long[] shape = {2, 1, 31, 29, 17};
        try (MemoryScope _ = MemoryScope.open()) {
            Tensor x = Tensor.normal(org.ducisc.core.Device.CPU, new Rng(8), 1000, 1, shape);
            double[][] ref = ChannelRef.moments(toDoubles(x.toFloatArray()), shape);
            var moments = org.ducisc.tensor.Normalization.moments(x);
            assertEquals(ref[0][0], moments.mean().item(), 1e-7 * 1000);
            assertEquals(ref[1][0], moments.var().item(), 1e-5 * ref[1][0]);
        }
    }

    @Test
    void rejectsGammaChannelMismatch() {
        try (MemoryScope _ = MemoryScope.open()) {
            Variable x = Variable.constant(Tensor.zeros(2, 3, 4, 4, 4));
            Variable gamma = Variable.parameter(Tensor.zeros(4));
            Variable beta = Variable.parameter(Tensor.zeros(3));
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> NormalizationGrad.batchNorm3d(x, gamma, beta, Tensor.zeros(3), Tensor.zeros(3), true, false)),
                    "batchNorm3d", "gamma", "[4]", "[2, 3, 4, 4, 4]");
        }
    }

    @Test
    void rejectsWrongRankAndSingleValueTraining() {
        try (MemoryScope _ = MemoryScope.open()) {
            Variable gamma = Variable.parameter(Tensor.zeros(3));
            Variable beta = Variable.parameter(Tensor.zeros(3));
            Variable flat = Variable.constant(Tensor.zeros(2, 3, 4));
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> NormalizationGrad.batchNorm3d(flat, gamma, beta, null, null, true, false)),
                    "batchNorm3d", "[2, 3, 4]");
            Variable single = Variable.constant(Tensor.zeros(1, 3, 1, 1, 1));
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> NormalizationGrad.batchNorm3d(single, gamma, beta, null, null, true, false)),
                    "batchNorm3d", "[1, 3, 1, 1, 1]");
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> NormalizationGrad.batchNorm3d(single, gamma, beta, null, null, false, false)),
                    "batchNorm3d", "eval");
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(float[] expected, float[] actual, double rtol, String what) {
        assertClose(toDoubles(expected), actual, rtol, what);
    }

    private static void assertClose(double[] expected, float[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what);
        double rms = 0;
        for (double e : expected) {
            rms += e * e;
        }
        rms = Math.sqrt(rms / Math.max(1, expected.length));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rtol * (Math.abs(expected[i]) + rms), what + " [" + i + "]");
        }
    }
}
