package org.ducisc.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ducisc.autograd.ResamplingGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.InterpolationMode;
import org.junit.jupiter.api.Test;

/**
 * F.interpolate of PyTorch 1.13 against ours, forward and input gradient, from the fixture that
 * tests/fixtures/make_interpolate_fixture.py writes (format described there).
 */
class InterpolateGoldenTest {
    private static final double TOLERANCE = 1e-6;

    @Test
    void matchesPyTorch() throws IOException {
        ByteBuffer in = fixture("fixtures/interpolate_golden.bin");
        byte[] magic = new byte[4];
        in.get(magic);
        assertEquals("DCSI", new String(magic, java.nio.charset.StandardCharsets.US_ASCII), "fixture magic");
        assertEquals(1, in.getInt(), "fixture version");
        long[] shape = new long[5];
        for (int i = 0; i < 5; i++) {
            shape[i] = in.getInt();
        }
        float[] x = floats(in, IndexRef.numel(shape));
        int cases = in.getInt();
        assertEquals(8, cases, "fixture cases");
        for (int c = 0; c < cases; c++) {
            InterpolationMode mode = in.getInt() == 0 ? InterpolationMode.NEAREST : InterpolationMode.TRILINEAR;
            int[] size = {in.getInt(), in.getInt(), in.getInt()};
            long n = shape[0] * shape[1] * size[0] * size[1] * size[2];
            float[] expected = floats(in, n);
            float[] g = floats(in, n);
            float[] expectedGrad = floats(in, x.length);
            String what = mode + " to " + java.util.Arrays.toString(size);
            try (MemoryScope scope = MemoryScope.open()) {
                Variable v = Variable.parameter(Tensor.of(x, shape));
                Variable y = ResamplingGrad.interpolate(v, size, mode);
                // nearest only copies values, so it must agree exactly
                compare(what + " forward", y.value().toFloatArray(), expected,
                        mode == InterpolationMode.NEAREST ? 0 : TOLERANCE);
                y.backward(Tensor.of(g, y.shape()));
                compare(what + " input gradient", v.grad().toFloatArray(), expectedGrad, TOLERANCE);
                v.zeroGrad();
            }
        }
        assertEquals(0, in.remaining(), "bytes left at the end of the fixture");
    }

    private static void compare(String what, float[] ours, float[] torch, double tolerance) {
        assertEquals(torch.length, ours.length, what + ": length");
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < ours.length; i++) {
            if (!(Math.abs(ours[i] - torch[i]) <= tolerance)) {
                if (bad++ < 5) {
                    first.append(String.format("%n  [%d] ours %.9g, torch %.9g", i, ours[i], torch[i]));
                }
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + ours.length + " values differ from PyTorch by more than " + tolerance
                    + first);
        }
    }

    private static float[] floats(ByteBuffer in, long n) {
        float[] f = new float[Math.toIntExact(n)];
        in.asFloatBuffer().get(f);
        in.position(in.position() + 4 * f.length);
        return f;
    }

    private static ByteBuffer fixture(String name) throws IOException {
        try (InputStream s = InterpolateGoldenTest.class.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(s, "missing test resource " + name + " (run tests/fixtures/make_interpolate_fixture.py)");
            return ByteBuffer.wrap(new DataInputStream(s).readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
