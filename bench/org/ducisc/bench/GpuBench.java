package org.ducisc.bench;

import java.util.Arrays;
import java.util.Locale;
import org.ducisc.backend.Buffer;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.backend.cuda.CudaBackend;
import org.ducisc.backend.cuda.CudaUnavailableException;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.ducisc.train.DuciscConfig;
import org.ducisc.train.DuciscStep;
import org.ducisc.train.Sgd;
import org.ducisc.train.Thresholds;

/**
 * GPU timings for bench/gpu/run.sh: every ConvBench shape and direction on cuda:0 (device time from
 * events, median of repeated runs, GFLOP/s counted as ConvBench does), then one full DuCiSC iteration
 * at 112x112x80, 16 filters, batch 2+2 (wall time to the loss values, median). Prints
 * "RESULT conv SHAPE DIRECTION MS GFLOPS" and "RESULT ducisc_step MS" lines.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp ... org.ducisc.bench.GpuBench [runs]</pre>
 */
public final class GpuBench {
    private GpuBench() {
    }

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        CudaBackend cuda;
        try {
            cuda = CudaBackend.forDevice(0);
        } catch (CudaUnavailableException e) {
            System.err.println("GpuBench: cuda:0: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("device: " + cuda.describe());
        for (ConvBench.Shape shape : ConvBench.Shape.values()) {
            for (String direction : new String[] {"forward", "backwardData", "backwardWeight"}) {
                double ms = convMillis(cuda, shape, direction, runs);
                double gflops = shape.geometry().flops() / (ms * 1e-3) / 1e9;
                System.out.printf(Locale.ROOT, "RESULT conv %s %s %.3f %.1f%n", shape, direction, ms, gflops);
            }
        }
        System.out.printf(Locale.ROOT, "RESULT ducisc_step %.2f%n", duciscStepMillis(Math.max(3, runs / 2)));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Median device milliseconds of one direction; a transposed shape runs the directions of its own forward. */
    private static double convMillis(CudaBackend cuda, ConvBench.Shape shape, String direction, int runs) {
        ConvGeometry g = shape.geometry();
        long xBytes = 4L * g.batch() * g.inChannels() * g.inVolume();
        long yBytes = 4L * g.batch() * g.outChannels() * g.outVolume();
        long wBytes = 4L * g.outChannels() * g.inChannels() * g.kernelVolume();
        Buffer x = cuda.allocate(xBytes);
        Buffer y = cuda.allocate(yBytes);
        Buffer w = cuda.allocate(wBytes);
        Buffer bias = cuda.allocate(4L * Math.max(g.inChannels(), g.outChannels()));
        try {
            cuda.fill(DType.FLOAT32, x, 0, xBytes / 4, 0.5);
            cuda.fill(DType.FLOAT32, y, 0, yBytes / 4, 0.25);
            cuda.fill(DType.FLOAT32, w, 0, wBytes / 4, 0.01);
            cuda.fill(DType.FLOAT32, bias, 0, Math.max(g.inChannels(), g.outChannels()), 0.1);
            Runnable op = switch (direction) {
                case "forward" -> shape.transposed ? () -> cuda.conv3dBackwardData(y, 0, w, 0, x, 0, g)
                        : () -> cuda.conv3dForward(x, 0, w, 0, bias, 0, y, 0, g);
                case "backwardData" -> shape.transposed ? () -> cuda.conv3dForward(x, 0, w, 0, null, 0, y, 0, g)
                        : () -> cuda.conv3dBackwardData(y, 0, w, 0, x, 0, g);
                default -> () -> cuda.conv3dBackwardWeight(x, 0, y, 0, w, 0, g, false);
            };
            op.run();
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                ms[i] = cuda.time(op);
            }
            return median(ms);
        } finally {
            cuda.release(x);
            cuda.release(y);
            cuda.release(w);
            cuda.release(bias);
        }
    }

    private static double duciscStepMillis(int runs) {
        Device device = Device.cuda(0);
        DuciscConfig cfg = DuciscConfig.defaults();
        long[] image = {2, 1, 112, 112, 80};
        VNet.Config net = VNet.Config.defaults().withBaseFilters(16);
        try (VNet student = new VNet(net, device, new Rng(1), new Rng(2));
             VNet teacher = new VNet(net, device, new Rng(3), new Rng(4));
             Sgd sgd = new Sgd(student.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay());
             Tensor lab = Tensor.normal(device, new Rng(5), 0, 1, image);
             Tensor unl = Tensor.normal(device, new Rng(6), 0, 1, image);
             Tensor labels = labels(device, image)) {
            Thresholds thresholds = new Thresholds(4, cfg.thresholdInit());
            DuciscStep.Batch batch = new DuciscStep.Batch(lab, labels, unl);
            double[] w = {0.4, 0.6};
            double[] ms = new double[runs];
            for (int i = -2; i < runs; i++) {
                long t0 = System.nanoTime();
                DuciscStep.run(student, teacher, sgd, thresholds, batch, w, cfg.warmup() + i + 2, cfg);
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            return median(ms);
        }
    }

    /** A ball in the middle of each volume: both classes present, as in a real batch. */
    private static Tensor labels(Device device, long[] image) {
        int w = (int) image[2];
        int h = (int) image[3];
        int d = (int) image[4];
        byte[] v = new byte[(int) image[0] * w * h * d];
        for (int i = 0; i < v.length; i++) {
            int z = i % d;
            int y = i / d % h;
            int x = i / (d * h) % w;
            double r2 = Math.pow(x - w / 2.0, 2) + Math.pow(y - h / 2.0, 2) + Math.pow(z - d / 2.0, 2);
            v[i] = (byte) (r2 < 20 * 20 ? 1 : 0);
        }
        return MemoryScope.unscoped(() -> Tensor.ofBytes(device, v, image[0], image[2], image[3], image[4]));
    }
}
