package org.ducisc.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.ducisc.io.FileBytes;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.Nrrd;
import org.ducisc.io.StagedFolder;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormatException;
import org.ducisc.tensor.Rng;

/**
 * Turns the LA challenge's raw cases ({@code <case>/lgemri.nrrd}, {@code <case>/laendo.nrrd})
 * into the reference's {@code 2018LA_Seg_TrainingSet/<case>/mri_norm2.h5}, as the method page's
 * section 1 says: label = (laendo == 255); image z-scored over the whole volume (population
 * standard deviation) before cropping; W and H cropped to the label's bounding box enlarged by
 * a random 10..19 voxels per side plus half the shortfall to the 112-voxel patch, clipped to the
 * volume; D kept whole. The random margins are drawn in the reference's order (x low, x high,
 * y low, y high, then two unused z draws) from one seeded generator over the cases in name order.
 */
public final class LaPreparation {
    /** The reference's output_size for this step. */
    private static final int[] PATCH = {112, 112, 80};

    private LaPreparation() {}

    /** One prepared case: its name and the cropped shape. */
    public record Prepared(String name, int[] shape, int[] cropStart) {}

    /** The raw cases under {@code rawDir}: sub-folders holding an lgemri.nrrd, sorted by name. */
    public static List<String> rawCases(Path rawDir) throws IOException {
        if (!Files.isDirectory(rawDir)) {
            throw new VolumeFormatException(rawDir, "raw LA folder not found");
        }
        List<String> cases;
        try (Stream<Path> s = Files.list(rawDir)) {
            cases = s.filter(p -> Files.isRegularFile(p.resolve("lgemri.nrrd")))
                    .map(p -> p.getFileName().toString()).sorted().toList();
        }
        if (cases.isEmpty()) {
            throw new VolumeFormatException(rawDir, "no case folders with an lgemri.nrrd inside");
        }
        return cases;
    }

    /**
     * Prepares every raw case into {@code outDir/2018LA_Seg_TrainingSet}, and writes
     * {@code train.list} / {@code test.list} (first 80% of the sorted names / the rest) only
     * where they do not exist yet, so the reference's own lists are kept.
     */
    public static List<Prepared> prepareAll(Path rawDir, Path outDir, long seed, Consumer<Prepared> progress)
            throws IOException {
        List<String> cases = rawCases(rawDir);
        Rng rng = new Rng(seed);
        List<Prepared> done = new ArrayList<>();
        // All cases and lists appear together, or (when a case fails) none of them.
        try (StagedFolder staged = StagedFolder.in(outDir)) {
            for (String name : cases) {
                Path caseDir = rawDir.resolve(name);
                Prepared p = prepare(caseDir.resolve("lgemri.nrrd"), caseDir.resolve("laendo.nrrd"),
                        DatasetKind.LA.caseFile(staged.root(), name), name, rng);
                done.add(p);
                progress.accept(p);
            }
            int nTrain = (int) Math.round(cases.size() * 0.8);
            for (String list : new String[] {"train.list", "test.list"}) {
                if (!Files.exists(outDir.resolve(list))) {
                    writeListIfAbsent(staged.root().resolve(list), list.equals("train.list") ? cases.subList(0, nTrain)
                            : cases.subList(nTrain, cases.size()));
                }
            }
            staged.commit();
        }
        return done;
    }

    /** Prepares one case, drawing its margins from {@code rng}. */
    public static Prepared prepare(Path imageFile, Path labelFile, Path out, String name, Rng rng) throws IOException {
        Volume image = Nrrd.read(imageFile);
        Volume endo = Nrrd.read(labelFile);
        if (!java.util.Arrays.equals(image.shape(), endo.shape())) {
            throw new VolumeFormatException(labelFile, "shape " + java.util.Arrays.toString(endo.shape())
                    + " differs from lgemri's " + java.util.Arrays.toString(image.shape()));
        }
        int[] s = image.shape();
        float[] e = endo.floats();
        byte[] label = new byte[e.length];
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] hi = {-1, -1, -1};
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                for (int k = 0; k < s[2]; k++) {
                    int at = image.index(i, j, k);
                    if (e[at] == 255f) {
                        label[at] = 1;
                        int[] idx = {i, j, k};
                        for (int a = 0; a < 3; a++) {
                            lo[a] = Math.min(lo[a], idx[a]);
                            hi[a] = Math.max(hi[a], idx[a]);
                        }
                    }
                }
            }
        }
        if (hi[0] < 0) {
            throw new VolumeFormatException(labelFile, "no voxel equals 255, the left atrium label is empty");
        }
        int[] start = new int[2];
        int[] stop = new int[2];
        for (int a = 0; a < 2; a++) {
            int pad = Math.max(PATCH[a] - (hi[a] - lo[a]), 0) / 2;
            start[a] = Math.max(lo[a] - (10 + rng.nextInt(10)) - pad, 0);
            stop[a] = Math.min(hi[a] + (10 + rng.nextInt(10)) + pad, s[a]);
        }
        // The reference draws the z margins too, then keeps D whole.
        rng.nextInt(10);
        rng.nextInt(10);

        float[] z = image.floats().clone();
        try {
            if (!Volume.zScoreInPlace(z)) {
                throw new VolumeFormatException(imageFile, "image is constant, cannot z-score it");
            }
        } catch (IllegalArgumentException notFinite) {
            throw new VolumeFormatException(imageFile, "cannot z-score the image: " + notFinite.getMessage(), notFinite);
        }
        Volume img = image.withFloats(z).crop(start[0], stop[0], start[1], stop[1], 0, s[2]);
        Volume lab = image.withLabels(label).crop(start[0], stop[0], start[1], stop[1], 0, s[2]);
        H5Volumes.write(out, img, lab);
        return new Prepared(name, img.shape(), new int[] {start[0], start[1], 0});
    }

    private static void writeListIfAbsent(Path list, List<String> cases) throws IOException {
        if (Files.exists(list)) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (String c : cases) {
            sb.append(c).append('\n');
        }
        FileBytes.writeAtomically(list, out -> out.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
