package org.ducisc.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ducisc.io.CaseData;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormatException;

/**
 * A data set stored as NIfTI files in the Medical Segmentation Decathlon layout, as MONAI and
 * nnU-Net read it: {@code imagesTr/}, {@code labelsTr/}, {@code imagesTs/}, optionally
 * {@code labelsTs/}, and {@code dataset.json}. Two namings are recognised:
 * <ul>
 * <li>MSD: {@code imagesTr/<case>.nii.gz} with its label {@code labelsTr/<case>.nii.gz};</li>
 * <li>nnU-Net v2: {@code imagesTr/<case>_0000.nii.gz} (the 4-digit channel index) with
 *     {@code labelsTr/<case>.nii.gz}; dataset.json's {@code file_ending} (default {@code .nii.gz}).</li>
 * </ul>
 * The naming is nnU-Net v2's when dataset.json has {@code channel_names} or {@code file_ending},
 * or when every image name ends in {@code _0000}. Only single-channel data is accepted (the V-Net
 * takes one): dataset.json's {@code channel_names} (v2) or {@code modality} (MSD) must list one
 * channel, and no image may carry a channel index other than 0000.
 *
 * <p>Cases: the labeled cases are the images of {@code imagesTr/} with a label file, sorted by
 * name; the unlabeled ones are the images of {@code imagesTr/} without a label file and every
 * image of {@code imagesUnlabeled/} (if that folder exists), sorted. The training list is the
 * labeled cases, then the unlabeled ones, so the reference's {@code labelnum} N keeps its meaning
 * (the first N labeled cases; any further labeled cases train as unlabeled ones). The test cases
 * are the images of {@code imagesTs/}; those with a file in {@code labelsTs/} can be scored.
 * Files whose names start with a dot (the {@code ._*} entries of archives made on macOS, found in
 * the MSD tarballs) are skipped. Volumes are z-scored per case over the whole volume, as the
 * reference's preprocessing does; labels are binarised by {@link Dataset#read} (any non-zero value is
 * foreground, {@link BinaryLabels}).
 *
 * <p>Validation split: {@code validation.list} in the folder (or a list given to
 * {@link #holdingOut}) names labeled training cases, one per line, held out of training and used
 * for model selection, so the test cases never are.
 */
final class NiftiFolder {
    static final String TRAIN_IMAGES = "imagesTr";
    static final String TRAIN_LABELS = "labelsTr";
    static final String TEST_IMAGES = "imagesTs";
    static final String TEST_LABELS = "labelsTs";
    static final String UNLABELED_IMAGES = "imagesUnlabeled";
    static final String VALIDATION_LIST = "validation.list";
    private static final Pattern CHANNEL = Pattern.compile("^(.*)_(\\d{4})$");

    private final Path dir;
    private final boolean nnUnet;
    private final String ending;
    private final TreeMap<String, Path> trainImages;
    private final TreeMap<String, Path> trainLabels;
    private final TreeMap<String, Path> unlabeledImages;
    private final TreeMap<String, Path> testImages;
    private final TreeMap<String, Path> testLabels;
    private final Set<String> heldOut;

    private NiftiFolder(Path dir, boolean nnUnet, String ending, TreeMap<String, Path> trainImages,
                        TreeMap<String, Path> trainLabels, TreeMap<String, Path> unlabeledImages,
                        TreeMap<String, Path> testImages, TreeMap<String, Path> testLabels, Set<String> heldOut) {
        this.dir = dir;
        this.nnUnet = nnUnet;
        this.ending = ending;
        this.trainImages = trainImages;
        this.trainLabels = trainLabels;
        this.unlabeledImages = unlabeledImages;
        this.testImages = testImages;
        this.testLabels = testLabels;
        this.heldOut = Set.copyOf(heldOut);
    }

    /** True when {@code dir} looks like such a folder (it has {@code imagesTr/}). */
    static boolean isNiftiFolder(Path dir) {
        return Files.isDirectory(dir.resolve(TRAIN_IMAGES));
    }

    /** Reads the folder's layout (no volume is read); throws one line naming the file and the problem. */
    static NiftiFolder open(Path dir) throws IOException {
        Path json = dir.resolve("dataset.json");
        Map<?, ?> meta = datasetJson(json);
        String ending = meta.get("file_ending") instanceof String e ? e : null;
        if (ending == null) {
            ending = ".nii.gz";
        } else if (!ending.equals(".nii.gz") && !ending.equals(".nii")) {
            throw new VolumeFormatException(json, "file_ending '" + ending + "': only NIfTI (.nii.gz, .nii) is read");
        }
        int channels = Math.max(objectSize(meta, "channel_names"), objectSize(meta, "modality"));
        if (channels > 1) {
            throw new VolumeFormatException(json, channels + " input channels; the V-Net here takes one");
        }
        boolean v2 = meta.containsKey("channel_names") || meta.containsKey("file_ending");
        TreeMap<String, Path> rawTrain = images(dir.resolve(TRAIN_IMAGES), ending);
        if (rawTrain.isEmpty()) {
            throw new VolumeFormatException(dir.resolve(TRAIN_IMAGES), "no " + ending + " images");
        }
        boolean nnUnet = v2 || rawTrain.keySet().stream().allMatch(n -> CHANNEL.matcher(n).matches());
        TreeMap<String, Path> trainImages = cases(dir.resolve(TRAIN_IMAGES), rawTrain, nnUnet);
        TreeMap<String, Path> unlabeled = cases(dir.resolve(UNLABELED_IMAGES),
                images(dir.resolve(UNLABELED_IMAGES), ending), nnUnet);
        TreeMap<String, Path> testImages = cases(dir.resolve(TEST_IMAGES), images(dir.resolve(TEST_IMAGES), ending), nnUnet);
        TreeMap<String, Path> trainLabels = images(dir.resolve(TRAIN_LABELS), ending);
        TreeMap<String, Path> testLabels = images(dir.resolve(TEST_LABELS), ending);
        trainLabels.keySet().retainAll(trainImages.keySet());
        testLabels.keySet().retainAll(testImages.keySet());
        for (String name : unlabeled.keySet()) {
            if (trainImages.containsKey(name)) {
                throw new VolumeFormatException(unlabeled.get(name), "case '" + name + "' is also in " + TRAIN_IMAGES);
            }
        }
        for (String name : testImages.keySet()) {
            if (trainImages.containsKey(name) || unlabeled.containsKey(name)) {
                throw new VolumeFormatException(testImages.get(name), "case '" + name + "' is also a training case");
            }
        }
        for (Map.Entry<String, Path> e : trainImages.entrySet()) {
            if (!trainLabels.containsKey(e.getKey())) {
                unlabeled.put(e.getKey(), e.getValue());
            }
        }
        trainImages.keySet().retainAll(trainLabels.keySet());
        return new NiftiFolder(dir, nnUnet, ending, trainImages, trainLabels, unlabeled, testImages, testLabels, Set.of());
    }

    /** This folder with {@code cases} (labeled training cases) held out of training, for validation. */
    NiftiFolder holdingOut(Collection<String> cases) {
        return new NiftiFolder(dir, nnUnet, ending, trainImages, trainLabels, unlabeledImages, testImages, testLabels,
                Set.copyOf(cases));
    }

    Path dir() {
        return dir;
    }

    /** "nnU-Net v2" or "MSD": the naming found. */
    String naming() {
        return nnUnet ? "nnU-Net v2" : "MSD";
    }

    /** The labeled training cases (sorted, minus those held out), then the unlabeled ones (sorted). */
    List<String> trainCases() {
        List<String> out = labeledCases();
        for (String name : unlabeledImages.keySet()) {
            if (!heldOut.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** The labeled training cases, sorted, minus those held out. */
    List<String> labeledCases() {
        List<String> out = new ArrayList<>();
        for (String name : trainImages.keySet()) {
            if (!heldOut.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    /** The test images that have a label, sorted. */
    List<String> labeledTestCases() {
        return new ArrayList<>(testLabels.keySet());
    }

    /** Every test image, sorted. */
    List<String> testImages() {
        return new ArrayList<>(testImages.keySet());
    }

    /** The cases of {@code validation.list}, or null when the folder has none. */
    Path validationList() {
        Path list = dir.resolve(VALIDATION_LIST);
        return Files.isRegularFile(list) ? list : null;
    }

    /** The image file of a case, or a path that does not exist for an unknown case. */
    Path image(String name) {
        for (Map<String, Path> m : List.of(trainImages, unlabeledImages, testImages)) {
            if (m.containsKey(name)) {
                return m.get(name);
            }
        }
        return dir.resolve(TRAIN_IMAGES).resolve(name + (nnUnet ? "_0000" : "") + ending);
    }

    /** The label file of a case, or null when it has none. */
    Path label(String name) {
        Path p = trainLabels.get(name);
        return p != null ? p : testLabels.get(name);
    }

    /** A case's image, z-scored over the volume, keeping the file's geometry. */
    Volume readImage(String name) throws IOException {
        Path file = image(name);
        Volume v = Nifti.read(file);
        float[] x = v.floats();
        if (v.shape().length != 3) {
            throw new VolumeFormatException(file, "a " + v.shape().length + "-d image; a 3-d volume is expected");
        }
        try {
            Volume.zScoreInPlace(x);
        } catch (IllegalArgumentException e) {
            throw new VolumeFormatException(file, e.getMessage());
        }
        return v.withFloats(x);
    }

    /** A labeled case: its z-scored image and its label as stored (Dataset binarises it), of the image's shape. */
    CaseData read(String name) throws IOException {
        Path labelFile = label(name);
        if (labelFile == null) {
            throw new VolumeFormatException(image(name), "case '" + name + "' has no label file in " + TRAIN_LABELS
                    + " or " + TEST_LABELS);
        }
        Volume image = readImage(name);
        Volume label = Nifti.readLabels(labelFile);
        if (!java.util.Arrays.equals(image.shape(), label.shape())) {
            throw new VolumeFormatException(labelFile, "label shape " + java.util.Arrays.toString(label.shape())
                    + " differs from the image's " + java.util.Arrays.toString(image.shape()));
        }
        return new CaseData(name, image, label);
    }

    /** The NIfTI files of a folder by name without the ending (none when the folder is missing). */
    private static TreeMap<String, Path> images(Path folder, String ending) throws IOException {
        TreeMap<String, Path> out = new TreeMap<>();
        if (!Files.isDirectory(folder)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                if (!n.startsWith(".") && n.endsWith(ending) && Files.isRegularFile(f)) {
                    out.put(n.substring(0, n.length() - ending.length()), f);
                }
            }
        }
        return out;
    }

    /** Image files by case: nnU-Net's {@code _0000} stripped; another channel index is refused. */
    private static TreeMap<String, Path> cases(Path folder, TreeMap<String, Path> files, boolean nnUnet)
            throws VolumeFormatException {
        if (!nnUnet) {
            return files;
        }
        TreeMap<String, Path> out = new TreeMap<>();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            Matcher m = CHANNEL.matcher(e.getKey());
            if (!m.matches()) {
                throw new VolumeFormatException(e.getValue(), "nnU-Net v2 naming expects <case>_0000 images");
            }
            if (!m.group(2).equals("0000")) {
                throw new VolumeFormatException(e.getValue(), "channel " + m.group(2) + "; the V-Net here takes one channel"
                        + " (_0000)");
            }
            out.put(m.group(1), e.getValue());
        }
        return out;
    }

    /** dataset.json's top-level object (read by io.Json with the full JSON grammar), or an empty map without one. */
    private static Map<?, ?> datasetJson(Path json) throws IOException {
        if (!Files.isRegularFile(json)) {
            return Map.of();
        }
        Object doc;
        try {
            doc = org.ducisc.io.Json.read(Files.readString(json, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new VolumeFormatException(json, e.getMessage(), e);
        }
        if (!(doc instanceof Map<?, ?> map)) {
            throw new VolumeFormatException(json, "expected a JSON object at the top level");
        }
        return map;
    }

    /** How many entries dataset.json's object {@code key} has (0 when absent or not an object). */
    private static int objectSize(Map<?, ?> meta, String key) {
        return meta.get(key) instanceof Map<?, ?> m ? m.size() : 0;
    }

    @Override
    public String toString() {
        return naming() + " NIfTI folder " + dir;
    }
}
