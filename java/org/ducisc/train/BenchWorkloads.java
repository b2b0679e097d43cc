package org.ducisc.train;

import java.util.Random;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.data.SeedStreams;
import org.ducisc.io.Volume;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * The workloads of {@code ducisc bench}, each one repetition per {@link Workload#run()}, built the
 * way the PyTorch scripts in bench/ build theirs (bench/torch_vnet.py, bench/torch_step.py,
 * bench/torch_sliding_window.py), so both sides time the same computation. Inputs are random
 * (seed 1337): the time does not depend on the values.
 */
public final class BenchWorkloads {
    private BenchWorkloads() {
    }

    /** One repeatable unit of work and the resources it holds (off-heap weights, inputs). */
    public interface Workload extends AutoCloseable {
        /** A line describing the workload (sizes, parameters). */
        String describe();

        /** Runs one repetition. */
        void run();

        @Override
        void close();
    }

    /**
     * One training-mode forward + backward of the V-Net with the supervised loss; input
     * (batch, 1, W, H, D) normal, labels uniform with 30% foreground.
     *
     * @param patch W, H, D in voxels, each a positive multiple of 16
     * @throws IllegalArgumentException for a patch the V-Net cannot take or batch < 1
     */
    public static Workload vnet(int[] patch, int batch, int baseFilters, Device device) {
        checkPositive("batch", batch);
        Rng rng = new Rng(1337);
        long[] shape = {batch, 1, patch[0], patch[1], patch[2]};
        VNet net = new VNet(VNet.Config.defaults().withBaseFilters(baseFilters), device, rng,
                SeedStreams.of(1337, SeedStreams.DROPOUT, SeedStreams.STUDENT));
        try {
            net.checkInput(shape);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        Tensor input = MemoryScope.unscoped(() -> Tensor.normal(device, rng, 0, 1, shape));
        Tensor label = MemoryScope.unscoped(() -> randomLabel(rng, batch, patch, device));
        String line = String.format("vnet: training-mode forward + backward, patch %dx%dx%d, batch %d, base filters %d, "
                + "%,d parameters", patch[0], patch[1], patch[2], batch, baseFilters, net.parameterCount());
        return new Workload() {
            @Override
            public String describe() {
                return line;
            }

            @Override
            public void run() {
                try (MemoryScope step = MemoryScope.open()) {
                    VNet.Output o = net.forward(Variable.constant(input));
                    SegmentationLoss.supervised(o.outputs(), label).total().backward();
                }
                for (Variable p : net.parameters()) {
                    p.zeroGrad();
                }
            }

            @Override
            public void close() {
                closeAll(input, label, net);
            }
        };
    }

    /**
     * One full DuCiSC iteration ({@link DuciscStep#run}: three student passes, the teacher pass,
     * every loss, backward, SGD, thresholds, EMA) past the warm-up, so every term is used, with
     * the reference's defaults; {@code labeled} + {@code unlabeled} volumes of {@code patch},
     * labels a centred ball of radius 20 voxels (as bench/gpu/torch_step.py), fusion weights
     * 0.4 and 0.6 repeated.
     *
     * @param patch W, H, D in voxels, each a positive multiple of 16
     * @throws IllegalArgumentException for a patch the V-Net cannot take or a batch < 1
     */
    public static Workload step(int[] patch, int labeled, int unlabeled, int baseFilters, Device device) {
        checkPositive("labeled batch", labeled);
        checkPositive("unlabeled batch", unlabeled);
        DuciscConfig cfg = DuciscConfig.defaults();
        Rng rng = new Rng(1337);
        VNet.Config netConfig = VNet.Config.defaults().withBaseFilters(baseFilters);
        VNet student = Trainer.network(netConfig, device, 1337, false);
        VNet teacher = Trainer.network(netConfig, device, 1337, true);
        Sgd sgd = new Sgd(student.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay());
        try {
            student.checkInput(new long[] {labeled, 1, patch[0], patch[1], patch[2]});
        } catch (RuntimeException e) {
            closeAll(sgd, teacher, student);
            throw e;
        }
        Tensor lab = MemoryScope.unscoped(() -> Tensor.normal(device, rng, 0, 1, labeled, 1, patch[0], patch[1], patch[2]));
        Tensor unl = MemoryScope.unscoped(() -> Tensor.normal(device, rng, 0, 1, unlabeled, 1, patch[0], patch[1],
                patch[2]));
        Tensor labels = MemoryScope.unscoped(() -> ballLabel(labeled, patch, device));
        Thresholds thresholds = new Thresholds(4, cfg.thresholdInit());
        double[] w = new double[labeled];
        for (int j = 0; j < labeled; j++) {
            w[j] = j % 2 == 0 ? 0.4 : 0.6;
        }
        String line = String.format("step: one DuCiSC iteration, patch %dx%dx%d, batch %d labeled + %d unlabeled, "
                + "base filters %d, %,d parameters per network", patch[0], patch[1], patch[2], labeled, unlabeled,
                baseFilters, student.parameterCount());
        return new Workload() {
            private long iteration = cfg.warmup();

            @Override
            public String describe() {
                return line;
            }

            @Override
            public void run() {
                DuciscStep.run(student, teacher, sgd, thresholds, new DuciscStep.Batch(lab, labels, unl), w,
                        iteration++, cfg);
            }

            @Override
            public void close() {
                closeAll(lab, unl, labels, sgd, teacher, student);
            }
        };
    }

    /**
     * The sliding-window foreground probability ({@link SlidingWindow#foregroundProbability}) of
     * one volume of {@code size} voxels (normal, seed 1337) with an untrained V-Net in eval mode.
     *
     * @param size W, H, D in voxels
     * @throws IllegalArgumentException for a patch the V-Net cannot take
     */
    public static Workload predict(int[] size, int[] patch, int strideXY, int strideZ, int windowBatch,
                                   int baseFilters, Device device) {
        SlidingWindow window = new SlidingWindow(patch, strideXY, strideZ, windowBatch);
        VNet net = Trainer.network(VNet.Config.defaults().withBaseFilters(baseFilters), device, 1337, false);
        try {
            net.checkInput(new long[] {1, 1, patch[0], patch[1], patch[2]});
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        Random r = new Random(1337);
        float[] voxels = new float[Math.multiplyExact(Math.multiplyExact(size[0], size[1]), size[2])];
        for (int i = 0; i < voxels.length; i++) {
            voxels[i] = (float) r.nextGaussian();
        }
        Volume image = Volume.ofFloats(size.clone(), voxels);
        String line = String.format("predict: sliding window over %dx%dx%d, patch %dx%dx%d, stride %d/%d, window batch %d, "
                + "base filters %d", size[0], size[1], size[2], patch[0], patch[1], patch[2], strideXY, strideZ,
                windowBatch, baseFilters);
        return new Workload() {
            @Override
            public String describe() {
                return line;
            }

            @Override
            public void run() {
                window.foregroundProbability(net, image);
            }

            @Override
            public void close() {
                net.close();
            }
        };
    }

    private static void checkPositive(String what, int n) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + n);
        }
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing a benchmark resource failed", e);
            }
        }
    }

    private static Tensor randomLabel(Rng rng, int batch, int[] size, Device device) {
        byte[] v = new byte[batch * size[0] * size[1] * size[2]];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) (rng.nextFloat() < 0.3f ? 1 : 0);
        }
        return Tensor.ofBytes(device, v, batch, size[0], size[1], size[2]);
    }

    /** 1 inside the ball of radius 20 voxels around (W/2, H/2, D/2), as uint8 (batch, W, H, D). */
    private static Tensor ballLabel(int batch, int[] size, Device device) {
        int vol = size[0] * size[1] * size[2];
        byte[] v = new byte[batch * vol];
        int i = 0;
        for (int x = 0; x < size[0]; x++) {
            for (int y = 0; y < size[1]; y++) {
                for (int z = 0; z < size[2]; z++) {
                    double dx = x - size[0] / 2.0;
                    double dy = y - size[1] / 2.0;
                    double dz = z - size[2] / 2.0;
                    v[i++] = (byte) (dx * dx + dy * dy + dz * dz < 400 ? 1 : 0);
                }
            }
        }
        for (int b = 1; b < batch; b++) {
            System.arraycopy(v, 0, v, b * vol, vol);
        }
        return Tensor.ofBytes(device, v, batch, size[0], size[1], size[2]);
    }
}
