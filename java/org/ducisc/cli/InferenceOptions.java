package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ducisc.api.Segmenter;
import org.ducisc.core.Device;
import org.ducisc.core.Sizes;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.runtime.Backends;
import picocli.CommandLine.Option;

/** The sliding-window and device options that {@code test} and {@code predict} share. */
final class InferenceOptions {
    @Option(names = "--checkpoint", required = true, description = "Model weights: .safetensors, or a PyTorch .pth state dict (the reference's names).")
    Path checkpoint;

    @Option(names = "--patch", description = "Window W,H,D (default: the training patch in the config.json beside the"
            + " checkpoint, else the data set's).")
    String patch;

    @Option(names = {"--stride-xy", "--stride_xy"}, description = "Window step along W and H (default: the run's, as its config.json gives it, else the data set's).")
    Integer strideXY;

    @Option(names = {"--stride-z", "--stride_z"}, description = "Window step along D (default: the run's, as its config.json gives it, else the data set's).")
    Integer strideZ;

    @Option(names = "--window-batch", defaultValue = "" + SlidingWindow.DEFAULT_WINDOW_BATCH,
            description = "Windows per forward pass (default ${DEFAULT-VALUE}; lower it if memory is short).")
    int windowBatch;

    @Option(names = "--nms", description = "Keep only the largest 26-connected component of the prediction.")
    boolean largestComponent;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda, cuda:N or cuda-emu (the emulated CUDA device) (default ${DEFAULT-VALUE}: CUDA when it works, else the CPU).")
    String device;

    @Option(names = "--gpu", description = "The reference's spelling of --device cuda:N.")
    Integer gpu;

    private Device selected;

    /**
     * Checks the window flags that were given (a malformed --patch, a stride below 1) before any file is
     * looked at; the rest is checked when the segmenter is built.
     */
    void checkWindowFlags() {
        if (patch != null) {
            Options.parseSize("--patch", patch);
        }
        if (strideXY != null && strideXY < 1) {
            throw new IllegalArgumentException("--stride-xy must be at least 1, got " + strideXY);
        }
        if (strideZ != null && strideZ < 1) {
            throw new IllegalArgumentException("--stride-z must be at least 1, got " + strideZ);
        }
    }

    /** Opens the device of --device / --gpu (an unusable one fails in one line) and says which it is. */
    void selectDevice(PrintWriter out) {
        Backends.Selection selection = Options.selectDevice(device, gpu);
        selected = selection.device();
        out.println("device: " + selection.description());
    }

    /** A missing checkpoint, a folder, a device or a named pipe: one line naming the file and which. */
    private void requireCheckpointFile() throws IOException {
        if (!Files.exists(checkpoint)) {
            throw new IOException(checkpoint + ": checkpoint not found");
        }
        org.ducisc.io.FileBytes.requireRegularFile(checkpoint);
    }

    /**
     * A segmenter on the checkpoint with these options. Window options not given come from the run folder's
     * config.json beside the checkpoint when there is one, else from {@code datasetName}'s defaults
     * ({@link Segmenter.Builder}); errors name the file.
     */
    Segmenter segmenter(String datasetName) throws IOException {
        checkWindowFlags();
        requireCheckpointFile();
        Segmenter.Builder b = Segmenter.builder(checkpoint).device(selected.toString()).defaultDataset(datasetName)
                .strides(strideXY == null ? 0 : strideXY, strideZ == null ? 0 : strideZ)
                .windowBatch(windowBatch).largestComponent(largestComponent);
        if (patch != null) {
            int[] p = Options.parseSize("--patch", patch);
            b.patch(p[0], p[1], p[2]);
        }
        return b.build();
    }

    /** How the command reports its window: "patch WxHxD, stride XY/Z", and where it came from when a run folder gave it. */
    static String describeWindow(Segmenter segmenter) {
        int[] p = segmenter.patch();
        int[] s = segmenter.strides();
        return "patch " + Sizes.of(p) + ", stride " + s[0] + "/" + s[1]
                + (segmenter.runConfig() == null ? "" : " (from " + segmenter.runConfig() + ")");
    }

    /**
     * Makes sure {@code file} can be written before any long computation: its folder exists (created if
     * need be) and accepts a new file, and it is not itself a folder. Nothing is left behind.
     */
    static void checkWritable(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new IOException(file + ": is a folder, expected a file name");
        }
        try {
            Files.createDirectories(abs.getParent());
            Files.delete(Files.createTempFile(abs.getParent(), ".ducisc-write-check", ".tmp"));
        } catch (IOException e) {
            throw new IOException(file + ": cannot write here (" + Main.message(e) + ")", e);
        }
    }
}
