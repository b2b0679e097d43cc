package org.ducisc.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ducisc.core.Device;
import org.ducisc.tensor.Convolutions;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * How the CPU convolutions split their work at the deep, small V-Net volumes (64-256 channels,
 * 28x28x20 down to 7x7x5, batch 1 in the sliding window) and that no split changes a bit of the
 * result: not the split into output-channel groups, not the joined runs of depth slices, not the
 * thread count (checked in child JVMs with ducisc.threads 1 and 3).
 */
class ConvSplitTest {
    private static final int[] K3 = {3, 3, 3};
    private static final int[] ONE = {1, 1, 1};

    /** The V-Net's deepest layers at batch 1 give every thread work (at least MIN_TASKS tasks). */
    @Test
    void deepSmallVolumesAtBatchOneSplitOverOutputChannels() {
        int[][] volumes = {{28, 28, 20}, {14, 14, 10}, {7, 7, 5}};
        int[] channels = {64, 128, 256};
        for (int i = 0; i < volumes.length; i++) {
            CpuConv.Stride1Plan p = CpuConv.Stride1Plan.of(1, volumes[i], K3, ONE, volumes[i], channels[i]);
            assertTrue(p.tasks() >= CpuConv.MIN_TASKS, channels[i] + " channels at batch 1: " + p);
        }
        // Backward-weight of 256 channels at 7x7x5 has room for one partial sum only (one run of units).
        int perGroup = CpuConv.blocksPerGroup(1, CpuConvGemm.blocks(256));
        assertTrue((CpuConvGemm.blocks(256) + perGroup - 1) / perGroup >= CpuConv.MIN_TASKS,
                "backward-weight, one run: " + perGroup + " blocks per group");
        // Enough samples x chunks: no channel split (every task copies its own input slices).
        CpuConv.Stride1Plan big = CpuConv.Stride1Plan.of(2, new int[] {56, 56, 40}, K3, ONE, new int[] {56, 56, 40}, 32);
        assertEquals(1, big.groups(), big.toString());
    }

    /**
     * At 7x7x5 one output slice is 7 rows of 7 padded columns (35 outputs in 49 positions), rounded
     * up to whole microkernel blocks (72 positions with 8-float vectors, 96 with 16) per slice; the
     * slices of a chunk are one run instead, padding rows and all.
     */
    @Test
    void smallPlanesJoinTheSlicesOfAChunk() {
        assumeTrue(CpuConvGemm.LANES > 1, "the scalar path's blocks are 3 positions wide: nothing to join");
        int[] v = {7, 7, 5};
        CpuConv.Stride1Plan p = CpuConv.Stride1Plan.of(2, v, K3, ONE, v, 256);
        int useful = p.chunk() * v[1] * v[2];
        assertTrue(p.joined(), p.toString());
        assertTrue(p.positionsPerChunk() <= 2 * useful, p.positionsPerChunk() + " positions for " + useful + " outputs");
        int[] c64 = {28, 28, 20};
        assertTrue(!CpuConv.Stride1Plan.of(2, c64, K3, ONE, c64, 64).joined(), "28x28x20 keeps one run per slice");
    }

    /**
     * Batch 1 and batch 3 split differently (channel groups at batch 1, fewer at 3): sample 1 of the
     * batch-3 result equals the batch-1 result of that sample bitwise, forward and backward-data.
     * Odd sizes that take the joined runs and a partial last block of output channels.
     */
    @Test
    void channelGroupsAndJoinedRunsDoNotChangeTheBits() {
        long seed = 20261129;
        System.out.println("ConvSplitTest seed " + seed);
        int cin = 19;
        int cout = 37;
        int[] in = {6, 2, 3};
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(seed);
            Tensor x3 = Tensor.normal(Device.CPU, rng, 0, 1, 3, cin, in[0], in[1], in[2]);
            Tensor w = Tensor.normal(Device.CPU, rng, 0, 0.2, cout, cin, 3, 3, 3);
            Tensor b = Tensor.normal(Device.CPU, rng, 0, 0.5, cout);
            Tensor gy3 = Tensor.normal(Device.CPU, rng, 0, 1, 3, cout, in[0], in[1], in[2]);
            CpuConv.Stride1Plan one = CpuConv.Stride1Plan.of(1, in, K3, ONE, in, cout);
            CpuConv.Stride1Plan three = CpuConv.Stride1Plan.of(3, in, K3, ONE, in, cout);
            assertTrue((one.joined() || CpuConvGemm.LANES == 1) && one.groups() > three.groups(), one + " vs " + three);
            float[] y3 = Convolutions.conv3d(x3, w, b, ONE, ONE).toFloatArray();
            float[] y1 = Convolutions.conv3d(sample(x3, 1), w, b, ONE, ONE).toFloatArray();
            assertArrayEquals(slice(y3, 1, y1.length), y1, "forward");
            long[] xs1 = {1, cin, in[0], in[1], in[2]};
            float[] gx3 = Convolutions.conv3dBackwardData(gy3, w, new long[] {3, cin, in[0], in[1], in[2]}, ONE, ONE)
                    .toFloatArray();
            float[] gx1 = Convolutions.conv3dBackwardData(sample(gy3, 1), w, xs1, ONE, ONE).toFloatArray();
            assertArrayEquals(slice(gx3, 1, gx1.length), gx1, "backward-data");
        }
    }

    /** Every direction gives the same bits with 1 and 3 CPU threads (child JVMs, ConvDigest). */
    @Test
    void sameBitsForAnyThreadCount() throws IOException, InterruptedException {
        String one = digest(1);
        String three = digest(3);
        assertTrue(one.startsWith("forward "), one);
        assertEquals(one, three);
    }

    private static String digest(int threads) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dducisc.threads=" + threads, "-cp", System.getProperty("java.class.path"),
                ConvDigest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ConvDigest with " + threads + " threads did not finish");
        assertEquals(0, p.exitValue(), "ConvDigest with " + threads + " threads: " + out);
        return out;
    }

    private static Tensor sample(Tensor t, int n) {
        long[] shape = t.shape().clone();
        long per = t.numel() / shape[0];
        shape[0] = 1;
        float[] all = t.toFloatArray();
        return Tensor.of(Arrays.copyOfRange(all, (int) (n * per), (int) ((n + 1) * per)), shape);
    }

    private static float[] slice(float[] a, int n, int per) {
        return Arrays.copyOfRange(a, n * per, (n + 1) * per);
    }
}
