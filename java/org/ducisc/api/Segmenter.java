package org.ducisc.api;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import org.ducisc.core.Device;
import org.ducisc.core.Sizes;
import org.ducisc.data.Dataset;
import org.ducisc.data.DatasetKind;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.Evaluation;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.SegmentationMetrics;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.Pth;
import org.ducisc.io.Safetensors;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormat;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;

/**
 * A trained V-Net, loaded from a checkpoint, that segments volumes with the reference's sliding-window
 * inference: windows of {@link Builder#patch patch} size every {@link Builder#strides stride} voxels,
 * the softmax foreground probability averaged where windows overlap, a label where it is above 0.5,
 * and (by default) only the largest 26-connected component kept.
 *
 * <pre>{@code
 * try (Segmenter segmenter = Segmenter.builder(Path.of("last.safetensors")).build()) {
 *     Segmentation s = segmenter.predict(Image.of(voxels, new int[] {w, h, d}, spacing));
 *     byte[] labels = s.labels();
 * }
 * }</pre>
 *
 * <p><b>Thread safety.</b> A segmenter is safe for concurrent use: any number of threads may call
 * {@code predict} on one instance, and all of them share its one copy of the weights (nothing is copied
 * per thread). At most {@link Builder#threads threads} calls run at a time; the others wait for a turn.
 * A result never depends on which other calls ran beside it: concurrent calls give the same bits as the
 * same calls made one after another.
 *
 * <p><b>Closing.</b> {@link #close()} frees the weights. It first stops new calls (they throw
 * {@link IllegalStateException}), then waits for the calls already running to finish, so closing while
 * another thread predicts is safe: that call completes normally.
 */
public final class Segmenter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Segmenter.class.getName());

    private final VNet net;
    private final SlidingWindow window;
    private final boolean largestComponent;
    private final int threads;
    private final Semaphore turns;
    private final String source;
    private final Path runConfig;
    private volatile boolean closed;

    private Segmenter(VNet net, SlidingWindow window, Path runConfig, boolean largestComponent, int threads,
                      String source) {
        this.net = net;
        this.window = window;
        this.runConfig = runConfig;
        this.largestComponent = largestComponent;
        this.threads = threads;
        this.turns = new Semaphore(threads, true);
        this.source = source;
        net.eval();
    }

    /**
     * Starts building a segmenter from a checkpoint file: safetensors (as {@code ./ducisc train} writes)
     * or a PyTorch {@code torch.save} state dict ({@code .pth}, read without executing its pickle).
     */
    public static Builder builder(Path checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        return new Builder(checkpoint, null);
    }

    /**
     * Starts building a segmenter from a checkpoint read from a stream (e.g. a class-path resource).
     * The stream is read to its end by {@link Builder#build()}; the caller closes it.
     */
    public static Builder builder(InputStream checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        return new Builder(null, checkpoint);
    }

    /** Segments an image. */
    public Segmentation predict(Image image) {
        return predict(image, null);
    }

    /**
     * Segments an image and scores the result against a ground truth.
     *
     * @param groundTruth a label map of the image's shape and layout (non-zero = foreground), or null for
     *                    no metrics
     */
    public Segmentation predict(Image image, byte[] groundTruth) {
        Objects.requireNonNull(image, "image");
        if (groundTruth != null && groundTruth.length != image.voxelCount()) {
            throw new IllegalArgumentException("ground truth has " + groundTruth.length + " voxels, the image "
                    + Arrays.toString(image.shape()) + " has " + image.voxelCount());
        }
        SlidingWindow.Prediction prediction;
        enter();
        try {
            prediction = window.segment(net, net.device(), Volume.ofFloats(image.shape(), image.voxels(),
                    image.spacing(), null), largestComponent);
        } finally {
            turns.release();
        }
        float[] probability = prediction.probability().floats();
        Volume labels = prediction.labels();
        Metrics metrics = null;
        if (groundTruth != null) {
            CaseMetrics m = SegmentationMetrics.evaluate(labels.labels(), groundTruth, image.shape(), image.spacing());
            metrics = new Metrics(m.dice(), m.jaccard(), m.hd95(), m.asd());
        }
        return new Segmentation(image.shape(), image.spacing(), labels.labels(), probability, metrics);
    }

    /**
     * Reads an image from a file and segments it: an HDF5 file ({@code .h5}, its {@code image} dataset, as
     * in the reference's data sets), a NIfTI-1 file ({@code .nii}, {@code .nii.gz}) or an NRRD file ({@code .nrrd}), told apart
     * by content ({@link VolumeFormat}).
     */
    public Segmentation predict(Path image) throws IOException {
        return predict(readImage(image), null);
    }

    /**
     * Reads an image and its ground truth and segments the image: the ground truth is the {@code label}
     * dataset of an HDF5 file (which may be the image's own file), or a NIfTI-1 or NRRD label map
     * ({@link VolumeFormat} tells them apart by content).
     */
    public Segmentation predict(Path image, Path groundTruth) throws IOException {
        Image img = readImage(image);
        Volume truth = VolumeFormat.readLabels(groundTruth);
        if (!Arrays.equals(truth.shape(), img.shape())) {
            throw new IllegalArgumentException(groundTruth + ": ground truth shape " + Arrays.toString(truth.shape())
                    + " differs from the image's " + Arrays.toString(img.shape()) + " (" + image + ")");
        }
        return predict(img, truth.labels());
    }

    /**
     * Segments each listed case of a data set and scores it against the case's label, in order, as the
     * reference's {@code test_all_case} does: the segmenter's window, threshold and largest-component
     * setting, then Dice, Jaccard, HD95 and ASD at unit spacing (voxels), as the reference calls medpy.
     * The training's validation and {@code ./ducisc test} compute the same numbers. Holds one of the
     * segmenter's turns ({@link Builder#threads}) for the whole list.
     *
     * @param rootPath    the folder holding the data set (as {@link TrainingRun#create} takes it)
     * @param datasetName LA, Pancreas, IAN or NIfTI (an MSD / nnU-Net folder)
     * @param cases       case names, or null for the data set's test list
     * @param metricRules "reference" (the authors' rule for empty masks) or "monai" ({@link MetricRules})
     * @param listener    called after each case with its metrics and its label map (uint8, in the image's
     *                    geometry), or null
     * @return every case's metrics and their summary (mean, population std, undefined cases)
     * @throws IllegalArgumentException an unknown data set or rule, an empty list, or a case the window cannot
     *                                  take (the message names it)
     * @throws IOException              the data set or a case cannot be read
     */
    public EvaluationReport evaluate(Path rootPath, String datasetName, List<String> cases, String metricRules,
                                     Evaluation.Listener listener) throws IOException {
        MetricRules rules = MetricRules.parse(Objects.requireNonNull(metricRules, "metricRules"));
        Dataset dataset = Dataset.open(datasetName, rootPath);
        List<String> list = cases == null ? dataset.testCases() : List.copyOf(cases);
        enter();
        try {
            return new EvaluationReport(Evaluation.run(net, net.device(), dataset, list, window, largestComponent,
                    rules, listener), rules);
        } finally {
            turns.release();
        }
    }

    /** {@link #evaluate(Path, String, List, String, Evaluation.Listener)} of the test list under the reference's rules. */
    public EvaluationReport evaluate(Path rootPath, String datasetName) throws IOException {
        return evaluate(rootPath, datasetName, null, MetricRules.REFERENCE.label(), null);
    }

    /**
     * Segments listed cases of a data set that have no label (a NIfTI folder's {@code imagesTs} without
     * {@code labelsTs}), in order, with the same window and threshold as {@link #evaluate}.
     *
     * @param listener receives each case's label map (uint8, in the image's geometry)
     * @throws IllegalArgumentException an unknown data set, or a case the window cannot take (names it)
     * @throws IOException              the data set or a case cannot be read
     */
    public void segmentCases(Path rootPath, String datasetName, List<String> cases,
                             Evaluation.PredictionListener listener) throws IOException {
        Dataset dataset = Dataset.open(datasetName, rootPath);
        enter();
        try {
            Evaluation.predict(net, net.device(), dataset, List.copyOf(cases), window, largestComponent, listener);
        } finally {
            turns.release();
        }
    }

    /** The window size (W, H, D). */
    public int[] patch() {
        return window.patch();
    }

    /** The window steps {xy, z}. */
    public int[] strides() {
        return new int[] {window.strideXY(), window.strideZ()};
    }

    /**
     * The training run's config.json that gave the patch or strides (options left unset, checkpoint in a
     * run folder), or null when they came from the options or a data set's defaults.
     */
    public Path runConfig() {
        return runConfig;
    }

    /** Whether only the largest connected component of the label map is kept. */
    public boolean largestComponent() {
        return largestComponent;
    }

    /** The most {@code predict} calls that run at once. */
    public int threads() {
        return threads;
    }

    /** How many {@code predict} calls are running on this segmenter at this moment (a snapshot). */
    public int runningCalls() {
        return threads - turns.availablePermits();
    }

    /** The network's base filter count, read from the checkpoint. */
    public int baseFilters() {
        return net.config().baseFilters();
    }

    /**
     * Frees the weights. New calls are refused from now on; calls already running finish first (this
     * method waits for them). Closing twice does nothing.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        turns.acquireUninterruptibly(threads);
        net.close();
        turns.release(threads);
        LOG.log(Level.DEBUG, () -> "segmenter closed: " + source);
    }

    /** Waits for a turn; refuses once closing has begun (also when it began while this call waited). */
    private void enter() {
        if (closed) {
            throw closedError();
        }
        turns.acquireUninterruptibly();
        if (closed) {
            turns.release();
            throw closedError();
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("this segmenter (" + source + ") is closed");
    }

    private static Image readImage(Path file) throws IOException {
        Volume v = VolumeFormat.readImage(file);
        try {
            return Image.of(v.floats(), v.shape(), v.spacing());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Options of a {@link Segmenter}. Unset window options (patch, strides) are, in this order: those of the
     * training run whose folder holds the checkpoint file (its {@code config.json}: the training patch, and
     * the data set's strides cut to it, the window of the run's own test report); else those of the
     * {@link #defaultDataset default data set}; else of the data set named in the checkpoint's metadata
     * ({@code ./ducisc train} records it); else the left atrium's: patch 112x112x80, strides 18 (W, H) and
     * 4 (D), as in the reference's evaluation.
     */
    public static final class Builder {
        private final Path file;
        private final InputStream stream;
        private String device = "auto";
        private int[] patch;
        private int strideXY;
        private int strideZ;
        private boolean largestComponent = true;
        private int windowBatch = SlidingWindow.DEFAULT_WINDOW_BATCH;
        private int threads = 1;
        private String defaultDataset;

        private Builder(Path file, InputStream stream) {
            this.file = file;
            this.stream = stream;
        }

        /**
         * "auto" (the default, as on the command line: cuda:0 when it works, else the CPU), "cpu", "cuda" or "cuda:N". A CUDA
         * device that cannot be used makes {@link #build()} fail with the reason.
         */
        public Builder device(String device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** The window size (W, H, D); every side a positive multiple of 16 (the V-Net's four halvings). */
        public Builder patch(int w, int h, int d) {
            this.patch = new int[] {w, h, d};
            return this;
        }

        /**
         * The steps between windows along W and H ({@code xy}) and along D ({@code z}); 1 up to the patch side,
         * or 0 to leave that one unset (its default, see the class comment).
         *
         * @throws IllegalArgumentException for a negative step
         */
        public Builder strides(int xy, int z) {
            if (xy < 0 || z < 0) {
                throw new IllegalArgumentException("strides must be between 1 and the patch side (0: the default), got xy "
                        + xy + " and z " + z);
            }
            this.strideXY = xy;
            this.strideZ = z;
            return this;
        }

        /**
         * The data set (LA, Pancreas, IAN, NIfTI) whose patch and strides fill unset window options when the
         * checkpoint's folder has no training run's config.json; default: the data set in the checkpoint's
         * metadata.
         */
        public Builder defaultDataset(String name) {
            this.defaultDataset = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Keep only the largest 26-connected component of the label map (default true, as the reference). */
        public Builder largestComponent(boolean keep) {
            this.largestComponent = keep;
            return this;
        }

        /**
         * Windows per forward pass (default {@value SlidingWindow#DEFAULT_WINDOW_BATCH}). The result does
         * not depend on it; memory grows with it (two 112x112x80 windows of the 16-filter network hold
         * about 1.5 GB of activations).
         */
        public Builder windowBatch(int windows) {
            this.windowBatch = windows;
            return this;
        }

        /**
         * How many {@code predict} calls may run at once (default 1); further callers wait. Each call
         * already spreads its convolutions over the engine's CPU worker pool (one per core, set for the
         * whole JVM by the system property {@code ducisc.threads}), so more than one mainly helps when
         * there are spare cores; each running call holds its own activations.
         */
        public Builder threads(int calls) {
            this.threads = calls;
            return this;
        }

        /**
         * Loads the checkpoint and builds the segmenter.
         *
         * @throws IOException              the checkpoint cannot be read, or is not a safetensors file
         * @throws IllegalArgumentException an option is invalid, or the checkpoint is not a single-channel
         *                                  DuCiSC V-Net (the message names the option, key or shape)
         */
        public Segmenter build() throws IOException {
            Device dev = DeviceOption.select(device);
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (file != null) {
                return load(file, file.toString(), dev);
            }
            Path tmp = Files.createTempFile("ducisc-checkpoint", ".safetensors");
            try {
                Files.copy(stream, tmp, StandardCopyOption.REPLACE_EXISTING);
                return load(tmp, "checkpoint stream", dev);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replace(tmp.toString(), "checkpoint stream"), e);
            } catch (IOException e) {
                throw new IOException(String.valueOf(e.getMessage()).replace(tmp.toString(), "checkpoint stream"), e);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        private Segmenter load(Path checkpoint, String source, Device dev) throws IOException {
            DatasetKind kind = DatasetKind.LA; // a .pth carries no metadata: the reference's LA defaults
            if (defaultDataset != null) {
                kind = DatasetKind.parse(defaultDataset);
            } else if (!Pth.isZip(checkpoint)) {
                try (Safetensors header = Safetensors.read(checkpoint)) {
                    String dataset = header.metadata().get("dataset");
                    kind = dataset == null ? DatasetKind.LA : DatasetKind.parse(dataset);
                }
            }
            // The run folder's window, for options left unset; a stream has no folder.
            RunWindow run = file == null || (patch != null && strideXY > 0 && strideZ > 0) ? null
                    : RunWindow.beside(file);
            int[] p = patch != null ? patch : run != null ? run.patch() : kind.patch();
            for (int side : p) {
                if (side < VNet.SIZE_MULTIPLE || side % VNet.SIZE_MULTIPLE != 0) {
                    throw new IllegalArgumentException("patch " + Sizes.of(p) + ": every side must be"
                            + " a positive multiple of " + VNet.SIZE_MULTIPLE + " (the V-Net halves it four times), "
                            + side + " is not");
                }
            }
            int[] runStrides = run == null ? null : run.strides(p);
            SlidingWindow window = new SlidingWindow(p,
                    strideXY > 0 ? strideXY : run != null ? runStrides[0] : kind.strideXY(),
                    strideZ > 0 ? strideZ : run != null ? runStrides[1] : kind.strideZ(), windowBatch);
            Path runConfig = run == null ? null : run.config();
            VNet net = Checkpoint.load(checkpoint, dev);
            try {
                if (net.config().inChannels() != 1) {
                    throw new IllegalArgumentException(source + ": the network takes " + net.config().inChannels()
                            + " input channels; the segmenter feeds single-channel images");
                }
                if (net.config().classes() != 2) {
                    throw new IllegalArgumentException(source + ": the network has " + net.config().classes()
                            + " classes; the segmenter needs background and foreground (2)");
                }
                Segmenter s = new Segmenter(net, window, runConfig, largestComponent, threads, source);
                LOG.log(Level.DEBUG, () -> "segmenter loaded " + source + ": " + net.config() + ", "
                        + net.parameterCount() + " parameters, patch " + Arrays.toString(window.patch())
                        + ", strides " + window.strideXY() + "/" + window.strideZ());
                return s;
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
        }
    }
}
