package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ducisc.autograd.Losses.Reduction;
import org.ducisc.core.DType;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Batch norm + ReLU and cross entropy against PyTorch 1.13 (tests/fixtures/make_channels_fixture.py). */
class PyTorchGoldenTest {
    private static final double TOL = 2e-5;

    private record Array(long[] shape, float[] data) {
    }

    @Test
    void batchNormReluMatchesPyTorch() throws IOException {
        Map<String, Array> f = load();
        try (MemoryScope _ = MemoryScope.open()) {
            Tensor rm = tensor(f, "bn.running_mean0");
            Tensor rv = tensor(f, "bn.running_var0");
            for (String mode : new String[] {"train", "eval"}) {
                Variable x = Variable.parameter(tensor(f, "bn.x"));
                Variable gamma = Variable.parameter(tensor(f, "bn.gamma"));
                Variable beta = Variable.parameter(tensor(f, "bn.beta"));
                Variable y = NormalizationGrad.batchNorm3d(x, gamma, beta, rm, rv, mode.equals("train"), true);
                y.backward(tensor(f, "bn.g"));
                assertClose(f, "bn." + mode + ".y", y.value());
                assertClose(f, "bn." + mode + ".gx", x.grad());
                assertClose(f, "bn." + mode + ".ggamma", gamma.grad());
                assertClose(f, "bn." + mode + ".gbeta", beta.grad());
                assertClose(f, "bn.running_mean1", rm);
                assertClose(f, "bn.running_var1", rv);
            }
        }
    }

    @Test
    void crossEntropyMatchesPyTorch() throws IOException {
        Map<String, Array> f = load();
        try (MemoryScope _ = MemoryScope.open()) {
            Variable logits = Variable.parameter(tensor(f, "ce.logits"));
            Tensor target = Elementwise.cast(tensor(f, "ce.target"), DType.UINT8);
            Variable loss = Losses.crossEntropy(logits, target, Reduction.MEAN);
            loss.backward();
            assertClose(f, "ce.loss", loss.value());
            assertClose(f, "ce.glogits", logits.grad());
        }
    }

    private static Tensor tensor(Map<String, Array> f, String name) {
        Array a = f.get(name);
        assertNotNull(a, "fixture has no array " + name);
        return Tensor.of(a.data, a.shape);
    }

    private static void assertClose(Map<String, Array> f, String name, Tensor ours) {
        Array ref = f.get(name);
        assertArrayEquals(ref.shape, ours.shape(), name + " shape");
        float[] v = ours.toFloatArray();
        double rms = 0;
        for (float r : ref.data) {
            rms += (double) r * r;
        }
        rms = Math.sqrt(rms / ref.data.length);
        for (int i = 0; i < v.length; i++) {
            assertEquals(ref.data[i], v[i], TOL * (Math.abs(ref.data[i]) + rms), name + " [" + i + "]");
        }
    }

    private static Map<String, Array> load() throws IOException {
        try (InputStream in = PyTorchGoldenTest.class.getClassLoader().getResourceAsStream(
                "fixtures/channels_golden.bin")) {
            assertNotNull(in, "fixtures/channels_golden.bin is not on the class path");
            ByteBuffer b = ByteBuffer.wrap(new DataInputStream(in).readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[4];
            b.get(magic);
            assertEquals("DCSF", new String(magic, StandardCharsets.US_ASCII), "fixture magic");
            assertEquals(1, b.getInt(), "fixture version");
            int count = b.getInt();
            Map<String, Array> arrays = new LinkedHashMap<>();
            for (int a = 0; a < count; a++) {
                byte[] name = new byte[b.getInt()];
                b.get(name);
                long[] shape = new long[b.getInt()];
                int numel = 1;
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = b.getInt();
                    numel *= (int) shape[d];
                }
                float[] data = new float[numel];
                b.asFloatBuffer().get(data);
                b.position(b.position() + 4 * numel);
                arrays.put(new String(name, StandardCharsets.UTF_8), new Array(shape, data));
            }
            return arrays;
        }
    }
}
