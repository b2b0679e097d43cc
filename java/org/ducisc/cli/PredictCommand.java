package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.ducisc.api.Image;
import org.ducisc.api.Segmentation;
import org.ducisc.api.Segmenter;
import org.ducisc.data.DatasetKind;
import org.ducisc.io.Nifti;
import org.ducisc.io.OutputPaths;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ducisc predict}: label maps (and probability maps) for new images. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Segments images with a checkpoint: sliding-window inference, label = foreground probability > 0.5.",
            "INPUT is an .h5 case (its 'image'), a .nii / .nii.gz image, or a folder of them (also <case>/mri_norm2.h5"
                + " sub-folders); OUTPUT is then a .nii.gz file, or a folder receiving <name>.nii.gz per input.",
            "Outputs keep the input's geometry (a NIfTI input's affine and spacing; unit spacing for .h5)."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    InferenceOptions inference;

    @Option(names = "--input", required = true, description = "Image file (.h5, .nii, .nii.gz) or folder of them.")
    Path input;

    @Option(names = "--output", required = true, description = "Label map (.nii or .nii.gz, uint8), or a folder for a folder input.")
    Path output;

    @Option(names = "--probabilities", description = "Also write the foreground probability (float32): a .nii(.gz) file, or a folder"
            + " receiving <name>_prob.nii.gz per input.")
    Path probabilities;

    @Option(names = {"--dataset-name", "--dataset_name"}, defaultValue = "LA",
            description = "Data set whose patch and strides are the defaults (default ${DEFAULT-VALUE}).")
    String datasetName;

    @Option(names = "--z-score", description = "Normalise each image to zero mean and unit variance first (raw scans;"
            + " the reference's h5 images are normalised already).")
    boolean zScore;

    /** One input and where its results go. */
    private record Job(String name, Path image, Path labels, Path probabilities) {
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        inference.selectDevice(out);
        DatasetKind.parse(datasetName); // an unknown name is reported before the files are looked at
        inference.checkWindowFlags(); // and so is a malformed --patch or stride
        List<Job> jobs = jobs();
        List<OutputPaths.Labeled> inputs = new ArrayList<>();
        inputs.add(new OutputPaths.Labeled("--checkpoint", inference.checkpoint));
        List<OutputPaths.Labeled> outputs = new ArrayList<>();
        for (Job job : jobs) {
            inputs.add(new OutputPaths.Labeled("--input", job.image()));
            outputs.add(new OutputPaths.Labeled("--output", job.labels()));
            outputs.add(new OutputPaths.Labeled("--probabilities", job.probabilities()));
        }
        OutputPaths.requireDistinct(inputs, outputs);
        try (Segmenter segmenter = inference.segmenter(datasetName)) {
            for (Job job : jobs) {
                InferenceOptions.checkWritable(job.labels());
                if (job.probabilities() != null) {
                    InferenceOptions.checkWritable(job.probabilities());
                }
            }
            out.println("predict: " + jobs.size() + (jobs.size() == 1 ? " image, " : " images, ")
                    + InferenceOptions.describeWindow(segmenter));
            out.flush();
            List<String> failed = new ArrayList<>();
            for (Job job : jobs) {
                try {
                    predict(segmenter, job, out);
                } catch (IOException | IllegalArgumentException e) {
                    if (!Files.isDirectory(input)) {
                        throw e;
                    }
                    // A folder: one line per failed image, and the rest are still segmented.
                    PrintWriter err = spec.commandLine().getErr();
                    err.println("ducisc: " + Main.message(e));
                    err.flush();
                    failed.add(job.name());
                }
            }
            if (!failed.isEmpty()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("ducisc: " + failed.size() + " of " + jobs.size() + " images in " + input + " failed: "
                        + String.join(", ", failed));
                err.flush();
                return Main.EXIT_FAILURE;
            }
        }
        return 0;
    }

    /** Segments one image and writes its outputs; a failed probability write takes the label map with it. */
    private void predict(Segmenter segmenter, Job job, PrintWriter out) throws IOException {
        long t0 = System.nanoTime();
        Volume image = read(job.image());
        float[] voxels = image.floats();
        if (zScore) {
            voxels = voxels.clone();
            try {
                if (!Volume.zScoreInPlace(voxels)) {
                    throw new IOException(job.image() + ": constant image, cannot be z-scored");
                }
            } catch (IllegalArgumentException e) {
                throw new IOException(job.image() + ": cannot be z-scored: " + e.getMessage(), e);
            }
        }
        Segmentation result;
        try {
            result = segmenter.predict(Image.of(voxels, image.shape(), image.spacing()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(job.image() + ": " + e.getMessage(), e);
        }
        // The input's Volume carries its geometry (NIfTI qform, sform and codes), so the outputs keep it.
        Nifti.write(job.labels(), image.withLabels(result.labels()));
        if (job.probabilities() != null) {
            try {
                Nifti.write(job.probabilities(), image.withFloats(result.foregroundProbability()));
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(job.labels());
                throw e;
            }
        }
        int[] s = image.shape();
        out.printf("%s: %dx%dx%d, %d foreground voxels, %.1f s -> %s%n", job.name(), s[0], s[1], s[2],
                result.foregroundVoxels(), (System.nanoTime() - t0) / 1e9, job.labels());
        out.flush();
    }

    /** The inputs and their outputs; fails before any work if the input or the output names do not fit. */
    private List<Job> jobs() throws IOException {
        if (!Files.exists(input)) {
            throw new IOException(input + ": input not found");
        }
        if (!Files.isDirectory(input)) {
            requireNiftiName("--output", output);
            if (probabilities != null) {
                requireNiftiName("--probabilities", probabilities);
            }
            return List.of(new Job(stem(checkedImageName(input)), input, output, probabilities));
        }
        requireFolderName("--output", output);
        if (probabilities != null) {
            requireFolderName("--probabilities", probabilities);
        }
        List<Path> images = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(input)) {
            for (Path p : entries.sorted().toList()) {
                Path image = Files.isDirectory(p) ? p.resolve("mri_norm2.h5") : p;
                String name = Files.isDirectory(p) ? p.getFileName().toString() : stem(p);
                if (name == null || !Files.isRegularFile(image)) {
                    continue;
                }
                images.add(image);
                names.add(name);
            }
        }
        if (images.isEmpty()) {
            throw new IOException(input + ": no " + VolumeFormat.knownSuffixes() + " images (nor <case>/mri_norm2.h5) in this folder");
        }
        // nnU-Net names a case's single-channel image <case>_0000; its predictions are <case>.nii.gz.
        boolean nnUNet = names.stream().allMatch(n -> NNUNET_CHANNEL.matcher(n).find());
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            String name = nnUNet ? NNUNET_CHANNEL.matcher(names.get(i)).replaceFirst("") : names.get(i);
            jobs.add(new Job(name, images.get(i), output.resolve(name + ".nii.gz"),
                    probabilities == null ? null : probabilities.resolve(name + "_prob.nii.gz")));
        }
        return jobs;
    }

    private static Path checkedImageName(Path file) throws IOException {
        if (stem(file) == null) {
            throw new IOException(file + ": not an image (" + VolumeFormat.knownSuffixes() + ")");
        }
        return file;
    }

    /** nnU-Net's channel suffix of an image name ({@code _0000} for the first channel). */
    private static final java.util.regex.Pattern NNUNET_CHANNEL = java.util.regex.Pattern.compile("_0000$");

    /** For a folder --input: a NIfTI file name where no folder exists is a mistake, not a folder to create. */
    private static void requireFolderName(String option, Path folder) {
        if (!Files.isDirectory(folder) && isNiftiName(folder)) {
            throw new IllegalArgumentException(option + " " + folder + ": a file name, but --input is a folder: give a"
                    + " folder to receive one <name>.nii.gz per image");
        }
    }

    private static boolean isNiftiName(Path file) {
        String n = file.getFileName() == null ? "" : file.getFileName().toString();
        return n.endsWith(".nii") || n.endsWith(".nii.gz");
    }

    private static void requireNiftiName(String option, Path file) {
        if (!isNiftiName(file)) {
            throw new IllegalArgumentException(option + " " + file + ": must end in .nii or .nii.gz (a folder only for a folder --input)");
        }
    }

    /** The file name without its image extension, or null if it has none the format registry knows. */
    private static String stem(Path file) {
        return VolumeFormat.stem(file);
    }

    private static Volume read(Path file) throws IOException {
        return VolumeFormat.readImage(file);
    }
}
