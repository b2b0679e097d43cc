package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ducisc.api.Segmenter;
import org.ducisc.core.Device;
import org.ducisc.data.DatasetKind;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.runtime.Backends;
import picocli.CommandLine.Option;

/** The sliding-window and device options that {@code test} and {@code predict} share. */
final class InferenceOptions {
    @Option(names = "--checkpoint", required = true, description = "Model weights: .safetensors, or a PyTorch .pth state dict (the reference's names).")
    Path checkpoint;

    @Option(names = "--patch", description = "Window W,H,D (default: the data set's training patch).")
    String patch;

    @Option(names = {"--stride-xy", "--stride_xy"}, description = "Window step along W and H (default: the data set's).")
    Integer strideXY;

    @Option(names = {"--stride-z", "--stride_z"}, description = "Window step along D (default: the data set's).")
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

    /** The sliding window these options describe, with the data set's patch and strides as defaults. */
    SlidingWindow window(DatasetKind kind) {
        int[] p = patch == null ? kind.patch() : Options.parseSize("--patch", patch);
        return new SlidingWindow(p, strideXY == null ? kind.strideXY() : strideXY,
                strideZ == null ? kind.strideZ() : strideZ, windowBatch);
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

    /** Loads the checkpoint, naming the file in any error. */
    VNet loadNetwork() throws IOException {
        requireCheckpointFile();
        return Checkpoint.load(checkpoint, selected);
    }

    /** A segmenter with these options (window, largest component) on the checkpoint, naming the file in any error. */
    Segmenter segmenter(DatasetKind kind) throws IOException {
        requireCheckpointFile();
        SlidingWindow w = window(kind);
        int[] p = w.patch();
        return Segmenter.builder(checkpoint).device(selected.toString()).patch(p[0], p[1], p[2]).strides(w.strideXY(), w.strideZ())
                .windowBatch(w.windowBatch()).largestComponent(largestComponent).build();
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
