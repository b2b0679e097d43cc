package org.ducisc.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.ducisc.backend.Backend;
import org.ducisc.backend.Buffer;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.InterpolationMode;
import org.ducisc.core.UnaryOp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every op of the CUDA backend against the CPU backend on random inputs of odd sizes, with both
 * backends' outputs poisoned (NaN) first: float results within |gpu - cpu| <= 1e-4 * (|cpu| + rms(cpu)),
 * uint8 results equal. The device under test is {@link CudaTestDevice}'s: the emulated device in every
 * {@code mvn test} (never skipped), a GPU with -Dducisc.test.cudaDevice=cuda:0. Seeds are fixed
 * (-Dducisc.test.seed to change) and printed.
 */
class CudaBackendTest {
    private static final double RTOL = 1e-4;
    private static final CpuBackend CPU = CpuBackend.INSTANCE;
    private static Backend cuda;
    private final long seed = CudaTestDevice.seed();
    private final Random random = new Random(seed);

    @BeforeAll
    static void openDevice() {
        cuda = CudaTestDevice.backend();
        System.out.println("CudaBackendTest on " + CudaTestDevice.name() + ", seed " + CudaTestDevice.seed());
    }

    /** One operand held on both backends. */
    private static final class Pair implements AutoCloseable {
        final DType type;
        final long count;
        final Buffer cpu;
        final Buffer gpu;

        Pair(DType type, long count) {
            this.type = type;
            this.count = count;
            this.cpu = CPU.allocate(count * type.byteSize());
            this.gpu = cuda.allocate(count * type.byteSize());
        }

        static Pair of(float[] values) {
            Pair p = new Pair(DType.FLOAT32, values.length);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocateFrom(JAVA_FLOAT, values);
                CPU.copyFromHost(host, p.cpu, 0);
                cuda.copyFromHost(host, p.gpu, 0);
            }
            return p;
        }

        static Pair ofBytes(byte[] values) {
            Pair p = new Pair(DType.UINT8, values.length);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocateFrom(JAVA_BYTE, values);
                CPU.copyFromHost(host, p.cpu, 0);
                cuda.copyFromHost(host, p.gpu, 0);
            }
            return p;
        }

        Buffer on(Backend b) {
            return b == CPU ? cpu : gpu;
        }

        MemorySegment read(Backend b, Arena a) {
            MemorySegment host = a.allocate(count * type.byteSize());
            b.copyToHost(on(b), 0, host);
            return host;
        }

        @Override
        public void close() {
            CPU.release(cpu);
            cuda.release(gpu);
        }
    }

    @FunctionalInterface
    private interface Op {
        void run(Backend b);
    }

    /** Runs op on both backends and compares out. */
    private void check(String what, Pair out, Op op) {
        op.run(CPU);
        op.run(cuda);
        assertSame(what, out);
    }

    private void assertSame(String what, Pair out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = out.read(CPU, a);
            MemorySegment g = out.read(cuda, a);
            String where = what + " (seed " + seed + ")";
            if (out.type == DType.UINT8) {
                for (long i = 0; i < out.count; i++) {
                    if (c.get(JAVA_BYTE, i) != g.get(JAVA_BYTE, i)) {
                        fail(where + ": [" + i + "] gpu " + g.get(JAVA_BYTE, i) + ", cpu " + c.get(JAVA_BYTE, i));
                    }
                }
                return;
            }
            double sq = 0;
            for (long i = 0; i < out.count; i++) {
                float v = c.getAtIndex(JAVA_FLOAT, i);
                sq += Float.isFinite(v) ? (double) v * v : 0;
            }
            double rms = Math.sqrt(sq / Math.max(1, out.count));
            for (long i = 0; i < out.count; i++) {
                float cv = c.getAtIndex(JAVA_FLOAT, i);
                float gv = g.getAtIndex(JAVA_FLOAT, i);
                boolean bothNaN = Float.isNaN(cv) && Float.isNaN(gv);
                if (!bothNaN && !(Math.abs(gv - cv) <= RTOL * (Math.abs(cv) + rms)) && cv != gv) {
                    fail(where + ": [" + i + "] gpu " + gv + ", cpu " + cv + " (rms " + rms + ")");
                }
            }
        }
    }

    private float[] normal(long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private float[] uniform(long n, double low, double high) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (low + (high - low) * random.nextDouble());
        }
        return v;
    }

    /** Small integers, so that comparisons and argmax meet exact ties. */
    private float[] integers(long n, int bound) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextInt(bound);
        }
        return v;
    }

    private byte[] labels(long n, int classes) {
        byte[] v = new byte[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) random.nextInt(classes);
        }
        return v;
    }

    private int odd(int low, int high) {
        return (low + random.nextInt(high - low + 1)) | 1;
    }

    @Test
    void fillAndCast() {
        long n = odd(1001, 3001);
        try (Pair f = new Pair(DType.FLOAT32, n); Pair u = new Pair(DType.UINT8, n)) {
            check("fill float32", f, b -> {
                b.fill(DType.FLOAT32, f.on(b), 0, n, 0.0);
                b.fill(DType.FLOAT32, f.on(b), 3, n - 10, -2.75);
            });
            check("fill uint8", u, b -> {
                b.fill(DType.UINT8, u.on(b), 0, n, 0.0);
                b.fill(DType.UINT8, u.on(b), 5, n - 7, 300.7);
            });
        }
        float[] values = uniform(n, -40, 300);
        values[0] = Float.NaN;
        values[1] = 254.999f;
        try (Pair x = Pair.of(values); Pair u = new Pair(DType.UINT8, n); Pair back = new Pair(DType.FLOAT32, n)) {
            check("cast float32 -> uint8", u, b -> b.cast(x.on(b), 0, DType.FLOAT32, u.on(b), 0, DType.UINT8, n));
            check("cast uint8 -> float32", back, b -> b.cast(u.on(b), 0, DType.UINT8, back.on(b), 0, DType.FLOAT32, n));
            check("cast float32 -> float32", back, b -> b.cast(x.on(b), 2, DType.FLOAT32, back.on(b), 0, DType.FLOAT32,
                    n - 2));
        }
    }

    @Test
    void copyStrided() {
        int d0 = odd(3, 7);
        int d1 = odd(5, 11);
        int d2 = odd(9, 31);
        long n = (long) d0 * d1 * d2;
        long[] shape = {d0, d1, d2};
        long[] contiguous = {(long) d1 * d2, d2, 1};
        try (Pair x = Pair.of(normal(n)); Pair y = new Pair(DType.FLOAT32, n)) {
            check("contiguous copy", y, b -> b.copyStrided(DType.FLOAT32, x.on(b), 0, contiguous, y.on(b), 0, contiguous,
                    shape));
            check("transpose", y, b -> b.copyStrided(DType.FLOAT32, x.on(b), 0, new long[] {1, d0, (long) d0 * d1},
                    y.on(b), 0, contiguous, shape));
            check("flip last dim", y, b -> b.copyStrided(DType.FLOAT32, x.on(b), d2 - 1,
                    new long[] {(long) d1 * d2, d2, -1}, y.on(b), 0, contiguous, shape));
            check("broadcast", y, b -> b.copyStrided(DType.FLOAT32, x.on(b), 0, new long[] {0, d2, 1}, y.on(b), 0,
                    contiguous, shape));
        }
        try (Pair x = Pair.ofBytes(labels(n, 256)); Pair y = new Pair(DType.UINT8, n)) {
            check("uint8 transpose", y, b -> b.copyStrided(DType.UINT8, x.on(b), 0,
                    new long[] {1, d0, (long) d0 * d1}, y.on(b), 0, contiguous, shape));
        }
    }

    @Test
    void unaryOps() {
        long n = odd(2001, 5001);
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.POW || op == UnaryOp.XLOGX || op == UnaryOp.XLOGX_GRAD;
            float[] v = positive ? uniform(n, 0.01, 5) : op == UnaryOp.EXP ? uniform(n, -8, 8) : normal(n);
            if (op == UnaryOp.XLOGX) {
                v[0] = 0f;
            }
            try (Pair x = Pair.of(v); Pair y = new Pair(DType.FLOAT32, n)) {
                check(op.toString(), y, b -> b.unary(op, x.on(b), 0, y.on(b), 0, n, op == UnaryOp.POW ? 1.7f : -0.5f,
                        0.7f));
            }
        }
    }

    @Test
    void binaryAndCompareWithBroadcasting() {
        int d0 = odd(3, 5);
        int d1 = odd(7, 13);
        int d2 = odd(101, 301);
        long n = (long) d0 * d1 * d2;
        long[] shape = {d0, d1, d2};
        long[] full = {(long) d1 * d2, d2, 1};
        long[] row = {0, 0, 1};
        long[] column = {d1, 1, 0};
        for (BinaryOp op : BinaryOp.values()) {
            float[] bv = op == BinaryOp.DIV ? uniform(d2, 0.5, 2) : normal(d2);
            try (Pair a = Pair.of(normal(n)); Pair b2 = Pair.of(bv); Pair c = Pair.of(normal((long) d0 * d1));
                 Pair out = new Pair(DType.FLOAT32, n)) {
                check(op + " row broadcast", out, b -> b.binary(op, a.on(b), 0, full, b2.on(b), 0, row, out.on(b), 0,
                        shape));
                if (op != BinaryOp.DIV) {
                    check(op + " column broadcast", out, b -> b.binary(op, c.on(b), 0, column, a.on(b), 0, full,
                            out.on(b), 0, shape));
                }
                check(op + " in place", a, b -> b.binary(op, a.on(b), 0, full, b2.on(b), 0, row, a.on(b), 0, shape));
            }
        }
        for (CompareOp op : CompareOp.values()) {
            try (Pair a = Pair.of(integers(n, 4)); Pair b2 = Pair.of(integers(d2, 4)); Pair ua = Pair.ofBytes(labels(n, 3));
                 Pair ub = Pair.ofBytes(labels(d2, 3)); Pair outF = new Pair(DType.FLOAT32, n);
                 Pair outU = new Pair(DType.UINT8, n)) {
                check(op + " float -> float", outF, b -> b.compare(op, DType.FLOAT32, a.on(b), 0, full, b2.on(b), 0, row,
                        DType.FLOAT32, outF.on(b), 0, shape));
                check(op + " float -> uint8", outU, b -> b.compare(op, DType.FLOAT32, a.on(b), 0, full, b2.on(b), 0, row,
                        DType.UINT8, outU.on(b), 0, shape));
                check(op + " uint8 -> uint8", outU, b -> b.compare(op, DType.UINT8, ua.on(b), 0, full, ub.on(b), 0, row,
                        DType.UINT8, outU.on(b), 0, shape));
                check(op + " uint8 -> float", outF, b -> b.compare(op, DType.UINT8, ua.on(b), 0, full, ub.on(b), 0, row,
                        DType.FLOAT32, outF.on(b), 0, shape));
            }
        }
    }

    @Test
    void sums() {
        long[][] shapes = {{odd(3, 7), odd(5, 9), odd(1001, 3001)}, {odd(1, 3), odd(3, 5), odd(5, 7), odd(9, 13),
            odd(11, 15)}, {odd(200001, 400001)}};
        for (long[] shape : shapes) {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            try (Pair x = Pair.of(normal(n))) {
                for (int mask = 0; mask < 1 << shape.length; mask++) {
                    boolean[] reduce = new boolean[shape.length];
                    long outputs = 1;
                    for (int d = 0; d < shape.length; d++) {
                        reduce[d] = (mask >> d & 1) != 0;
                        outputs *= reduce[d] ? 1 : shape[d];
                    }
                    try (Pair out = new Pair(DType.FLOAT32, outputs)) {
                        check("sum " + java.util.Arrays.toString(shape) + " over " + java.util.Arrays.toString(reduce), out,
                                b -> b.sum(x.on(b), 0, shape, reduce, out.on(b), 0));
                    }
                }
            }
        }
    }

    @Test
    void channelOps() {
        int n = odd(1, 3);
        int c = odd(2, 5);
        long s = odd(1001, 3001);
        long total = n * c * s;
        try (Pair x = Pair.of(normal(total)); Pair ties = Pair.of(integers(total, 3)); Pair arg = new Pair(DType.UINT8, n * s);
             Pair y = new Pair(DType.FLOAT32, total); Pair gy = Pair.of(normal(total)); Pair gx = new Pair(DType.FLOAT32, total);
             Pair target = Pair.ofBytes(labels(n * s, c)); Pair picked = new Pair(DType.FLOAT32, n * s);
             Pair g = Pair.of(normal(n * s))) {
            check("argmax", arg, b -> b.argmaxChannel(x.on(b), 0, n, c, s, arg.on(b), 0));
            check("argmax with ties", arg, b -> b.argmaxChannel(ties.on(b), 0, n, c, s, arg.on(b), 0));
            for (boolean log : new boolean[] {false, true}) {
                check("softmax log=" + log, y, b -> b.softmaxChannel(x.on(b), 0, n, c, s, y.on(b), 0, log));
                check("softmax backward log=" + log, gx, b -> b.softmaxChannelBackward(y.on(b), 0, gy.on(b), 0, n, c, s,
                        gx.on(b), 0, log));
            }
            check("gather", picked, b -> b.gatherChannel(x.on(b), 0, target.on(b), 0, n, c, s, picked.on(b), 0));
            check("scatter", gx, b -> b.scatterChannel(g.on(b), 0, target.on(b), 0, n, c, s, gx.on(b), 0));
        }
        byte[] bad = labels(n * s, c);
        bad[(int) s / 2] = (byte) (c + 3);
        try (Pair x = Pair.of(normal(total)); Pair target = Pair.ofBytes(bad); Pair picked = new Pair(DType.FLOAT32, n * s)) {
            String cpuMessage = assertThrows(IllegalArgumentException.class,
                    () -> CPU.gatherChannel(x.cpu, 0, target.cpu, 0, n, c, s, picked.cpu, 0)).getMessage();
            String gpuMessage = assertThrows(IllegalArgumentException.class,
                    () -> cuda.gatherChannel(x.gpu, 0, target.gpu, 0, n, c, s, picked.gpu, 0)).getMessage();
            assertEquals(cpuMessage, gpuMessage);
        }
    }

    private ConvGeometry[] geometries() {
        int n = odd(1, 3);
        return new ConvGeometry[] {
            ConvGeometry.of(n, odd(3, 5), odd(5, 11), new int[] {odd(5, 9), odd(7, 11), odd(9, 13)}, new int[] {3, 3, 3},
                    new int[] {1, 1, 1}, new int[] {1, 1, 1}),
            ConvGeometry.of(n, odd(3, 7), odd(9, 17), new int[] {odd(6, 10) + 1, odd(8, 12) + 1, odd(6, 10) + 1},
                    new int[] {2, 2, 2}, new int[] {2, 2, 2}, new int[] {0, 0, 0}),
            ConvGeometry.of(n, odd(9, 17), odd(1, 3), new int[] {odd(5, 9), odd(5, 9), odd(5, 9)}, new int[] {1, 1, 1},
                    new int[] {1, 1, 1}, new int[] {0, 0, 0}),
            ConvGeometry.of(n, odd(3, 5), odd(3, 5), new int[] {odd(7, 11), odd(7, 11), odd(7, 11)},
                    new int[] {3, 2, 1}, new int[] {2, 1, 3}, new int[] {1, 0, 0}),
        };
    }

    @Test
    void convolutions() {
        for (ConvGeometry g : geometries()) {
            long xn = (long) g.batch() * g.inChannels() * g.inVolume();
            long yn = (long) g.batch() * g.outChannels() * g.outVolume();
            long wn = (long) g.outChannels() * g.inChannels() * g.kernelVolume();
            try (Pair x = Pair.of(normal(xn)); Pair w = Pair.of(normal(wn)); Pair bias = Pair.of(normal(g.outChannels()));
                 Pair y = new Pair(DType.FLOAT32, yn); Pair gy = Pair.of(normal(yn)); Pair gx = new Pair(DType.FLOAT32, xn);
                 Pair gw = new Pair(DType.FLOAT32, wn)) {
                check("forward " + g, y, b -> b.conv3dForward(x.on(b), 0, w.on(b), 0, bias.on(b), 0, y.on(b), 0, g));
                check("forward without bias " + g, y, b -> b.conv3dForward(x.on(b), 0, w.on(b), 0, null, 0, y.on(b), 0, g));
                check("backward data " + g, gx, b -> b.conv3dBackwardData(gy.on(b), 0, w.on(b), 0, gx.on(b), 0, g));
                check("backward weight " + g, gw, b -> b.conv3dBackwardWeight(x.on(b), 0, gy.on(b), 0, gw.on(b), 0, g,
                        false));
                check("backward weight accumulated " + g, gw, b -> b.conv3dBackwardWeight(x.on(b), 0, gy.on(b), 0, gw.on(b),
                        0, g, true));
            }
        }
    }

    @Test
    void batchNorm() {
        int n = odd(1, 3);
        int c = odd(3, 9);
        long s = odd(3001, 9001);
        long total = n * c * s;
        float[] xv = normal(total);
        for (int i = 0; i < xv.length; i++) {
            xv[i] = xv[i] * 2 + 3;  // a mean far from zero, as after a convolution
        }
        try (Pair x = Pair.of(xv); Pair mean = new Pair(DType.FLOAT32, c); Pair var = new Pair(DType.FLOAT32, c);
             Pair scale = Pair.of(normal(c)); Pair shift = Pair.of(normal(c)); Pair y = new Pair(DType.FLOAT32, total);
             Pair gy = Pair.of(normal(total)); Pair invStd = Pair.of(uniform(c, 0.3, 2)); Pair gamma = Pair.of(normal(c));
             Pair sumGy = new Pair(DType.FLOAT32, c); Pair sumGyXhat = new Pair(DType.FLOAT32, c);
             Pair gx = new Pair(DType.FLOAT32, total)) {
            check("stats mean", mean, b -> b.batchNormStats(x.on(b), 0, n, c, s, mean.on(b), 0, var.on(b), 0));
            assertSame("stats var", var);
            for (boolean relu : new boolean[] {false, true}) {
                check("channel affine relu=" + relu, y, b -> b.channelAffine(x.on(b), 0, scale.on(b), 0, shift.on(b), 0, n,
                        c, s, relu, y.on(b), 0));
                Pair reluOut = relu ? y : null;
                check("backward reduce relu=" + relu, sumGy, b -> b.batchNormBackwardReduce(x.on(b), 0, gy.on(b), 0,
                        reluOut == null ? null : reluOut.on(b), 0, mean.on(b), 0, invStd.on(b), 0, n, c, s, sumGy.on(b), 0,
                        sumGyXhat.on(b), 0));
                assertSame("backward reduce sumGyXhat relu=" + relu, sumGyXhat);
                check("backward data relu=" + relu, gx, b -> b.batchNormBackwardData(x.on(b), 0, gy.on(b), 0,
                        reluOut == null ? null : reluOut.on(b), 0, mean.on(b), 0, invStd.on(b), 0, gamma.on(b), 0,
                        sumGy.on(b), 0, sumGyXhat.on(b), 0, n, c, s, gx.on(b), 0));
            }
        }
    }

    @Test
    void interpolation() {
        long nc = odd(2, 5);
        int[] in = {odd(3, 7), odd(5, 9), odd(7, 11)};
        int[][] outs = {{in[0] * 2, in[1] * 2, in[2] * 2}, {odd(2, 4), odd(3, 5), odd(3, 7)}, in.clone(),
            {odd(9, 15), in[1], odd(2, 4)}};
        for (InterpolationMode mode : InterpolationMode.values()) {
            for (int[] out : outs) {
                long xn = nc * in[0] * in[1] * in[2];
                long yn = nc * out[0] * out[1] * out[2];
                String what = mode + " " + java.util.Arrays.toString(in) + " -> " + java.util.Arrays.toString(out);
                try (Pair x = Pair.of(normal(xn)); Pair y = new Pair(DType.FLOAT32, yn); Pair gy = Pair.of(normal(yn));
                     Pair gx = new Pair(DType.FLOAT32, xn)) {
                    check(what, y, b -> b.interpolate(mode, x.on(b), 0, nc, in, y.on(b), 0, out));
                    check(what + " backward", gx, b -> b.interpolateBackward(mode, gy.on(b), 0, nc, in, out, gx.on(b), 0));
                }
            }
        }
    }

    @Test
    void steadyStateAllocationsReuseMemory() {
        CudaBackend device = (CudaBackend) cuda;
        for (int i = 0; i < 3; i++) {
            try (Pair a = new Pair(DType.FLOAT32, 12345); Pair b = new Pair(DType.UINT8, 777)) {
                assertTrue(a.gpu.byteSize() >= 12345 * 4 && b.gpu.byteSize() >= 777);
            }
        }
        long before = device.deviceAllocations();
        for (int i = 0; i < 10; i++) {
            try (Pair a = new Pair(DType.FLOAT32, 12345); Pair b = new Pair(DType.UINT8, 777)) {
                assertTrue(a.gpu.byteSize() > 0 && b.gpu.byteSize() > 0);
            }
        }
        assertEquals(before, device.deviceAllocations());
    }
}
