package org.ducisc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.ducisc.api.Image;
import org.ducisc.api.Segmentation;
import org.ducisc.api.Segmenter;
import org.ducisc.core.Device;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The embedding API's inference: {@link Segmenter#predict} of one LA-sized volume (150x150x88, the
 * reference's patch 112x112x80 and strides 18/4, so 48 windows) with the 16-filter V-Net, through the
 * public API as a pipeline would call it. {@code latency}: seconds per call with one caller;
 * {@code callers1} / {@code callers2}: volumes per minute with one and two threads sharing one segmenter
 * (threads(2)). One call takes about a minute on two cores, so every iteration is one call per thread.
 * Weights are a fresh initialisation and the image random: the time depends on neither.
 * bench/torch_sliding_window.py times the reference's loop on the same volume.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Xmx2g"})
public class PredictBench {
    private Path checkpoint;
    private Segmenter segmenter;
    private Image image;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        checkpoint = Files.createTempFile("predict-bench", ".safetensors");
        try (VNet net = new VNet(VNet.Config.defaults(), Device.CPU, new Rng(1), new Rng(2))) {
            Checkpoint.save(checkpoint, net, Map.of());
        }
        segmenter = Segmenter.builder(checkpoint).patch(112, 112, 80).strides(18, 4).threads(2).build();
        int[] shape = {150, 150, 88};
        Rng rng = new Rng(3);
        float[] voxels = new float[shape[0] * shape[1] * shape[2]];
        for (int i = 0; i < voxels.length; i++) {
            voxels[i] = (float) rng.nextGaussian();
        }
        image = Image.of(voxels, shape, null);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        segmenter.close();
        Files.deleteIfExists(checkpoint);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(1)
    public Segmentation latency() {
        return segmenter.predict(image);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MINUTES)
    @Threads(1)
    public Segmentation callers1() {
        return segmenter.predict(image);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MINUTES)
    @Threads(2)
    public Segmentation callers2() {
        return segmenter.predict(image);
    }
}
