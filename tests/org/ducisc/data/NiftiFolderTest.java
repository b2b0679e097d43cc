package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormatException;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection and case lists of MSD / nnU-Net v2 NIfTI folders ({@link NiftiFolder} through {@link Dataset}). */
class NiftiFolderTest {
    private static final int[] SHAPE = {5, 4, 3};

    @TempDir
    Path tmp;

    private int seed = 90;

    private void image(Path file) throws IOException {
        Rng rng = new Rng(seed++);
        float[] v = new float[SHAPE[0] * SHAPE[1] * SHAPE[2]];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (1000 + 200 * rng.nextGaussian());
        }
        Files.createDirectories(file.getParent());
        Nifti.write(file, Volume.ofFloats(SHAPE, v));
    }

    private void label(Path file, int value) throws IOException {
        byte[] b = new byte[SHAPE[0] * SHAPE[1] * SHAPE[2]];
        b[7] = (byte) value;
        b[8] = 1;
        Files.createDirectories(file.getParent());
        Nifti.write(file, Volume.ofLabels(SHAPE, b));
    }

    /** b, a, c labeled (c's label holds the value 2), d and e unlabeled, t1 scored test, t0 not. */
    private Path folder(String channel) throws IOException {
        Path d = tmp.resolve("f" + channel);
        for (String c : List.of("b", "a", "c", "d", "e")) {
            image(d.resolve("imagesTr/" + c + channel + ".nii.gz"));
        }
        label(d.resolve("labelsTr/b.nii.gz"), 1);
        label(d.resolve("labelsTr/a.nii.gz"), 1);
        label(d.resolve("labelsTr/c.nii.gz"), 2);
        label(d.resolve("labelsTr/zz.nii.gz"), 1); // a label without an image: ignored
        image(d.resolve("imagesTs/t0" + channel + ".nii.gz"));
        image(d.resolve("imagesTs/t1" + channel + ".nii.gz"));
        label(d.resolve("labelsTs/t1.nii.gz"), 1);
        Files.write(d.resolve("imagesTr/._a" + channel + ".nii.gz"), new byte[] {1, 2, 3});
        return d;
    }

    @Test
    void msdLayoutListsLabeledThenUnlabeledCases() throws IOException {
        Dataset ds = Dataset.open("LA", folder(""));
        assertTrue(ds.isNiftiFolder());
        assertEquals(DatasetKind.NIFTI, ds.kind());
        assertEquals("MSD NIfTI folder", ds.layout());
        assertEquals(List.of("a", "b", "c", "d", "e"), ds.trainCases());
        assertEquals(3, ds.labeledCount());
        assertEquals(List.of("t1"), ds.testCases());
        assertEquals(List.of("t0", "t1"), ds.testImages());
        assertEquals(List.of(), ds.validationCases());
        assertFalse(ds.hasLabel("d"));
        // an unlabeled case reads without any label file; z-scored over the volume
        float[] x = ds.readImage("d").floats();
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        assertEquals(0, mean / x.length, 1e-5);
        // a label value 2 is foreground
        byte[] c = ds.read("c").label().labels();
        assertEquals(1, c[7]);
        assertEquals(1, c[8]);
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> ds.read("d"));
        assertTrue(e.getMessage().contains("case 'd' has no label file"), e.getMessage());
    }

    @Test
    void nnUnetNamingAndValidationSplit() throws IOException {
        Path d = folder("_0000");
        Files.writeString(d.resolve("dataset.json"), "{\"channel_names\": {\"0\": \"CT\"}, \"file_ending\": \".nii.gz\"}");
        Files.writeString(d.resolve("validation.list"), "b_0000.nii.gz\n");
        Dataset ds = Dataset.open("LA", d);
        assertEquals("nnU-Net v2 NIfTI folder", ds.layout());
        assertEquals(List.of("b"), ds.validationCases());
        Dataset held = ds.holdingOut(ds.validationCases());
        assertEquals(List.of("a", "c", "d", "e"), held.trainCases());
        assertEquals(2, held.labeledCount());
        assertEquals(d.resolve("imagesTr/b_0000.nii.gz"), held.caseFile("b"));
        assertEquals(2, held.read("b").label().labels()[7] + held.read("b").label().labels()[8]);
    }

    @Test
    void multiChannelDataIsRefusedInOneLine() throws IOException {
        Path d = folder("_0000");
        image(d.resolve("imagesTr/a_0001.nii.gz"));
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> Dataset.open("LA", d));
        assertTrue(e.getMessage().endsWith("a_0001.nii.gz: channel 0001; the V-Net here takes one channel (_0000)"), e.getMessage());
        Path m = folder("");
        Files.writeString(m.resolve("dataset.json"), "{\"modality\": {\"0\": \"FLAIR\", \"1\": \"T1w\"}}");
        e = assertThrows(VolumeFormatException.class, () -> Dataset.open("LA", m));
        assertTrue(e.getMessage().endsWith("dataset.json: 2 input channels; the V-Net here takes one"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    /**
     * dataset.json is read with the whole JSON grammar: a brace inside a string, floats, booleans and
     * nulls, as real MSD files have, and a damaged file is named with where it breaks.
     */
    @Test
    void datasetJsonIsReadAsJson() throws IOException {
        Path m = folder("");
        Files.writeString(m.resolve("dataset.json"), "{\"name\": \"Heart\", \"tensorImageSize\": \"3D\", \"release\": 1.1,"
                + " \"public\": true, \"reference\": null, \"modality\": {\"0\": \"MRI {T1}\", \"1\": \"T2\"},"
                + " \"labels\": {\"0\": \"background\", \"1\": \"left atrium\"}, \"numTraining\": 20}");
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> Dataset.open("LA", m));
        assertTrue(e.getMessage().endsWith("dataset.json: 2 input channels; the V-Net here takes one"), e.getMessage());
        Path bad = folder("");
        Files.writeString(bad.resolve("dataset.json"), "{\"modality\": {\"0\": \"MRI\"},\n \"labels\": [1, 2,}");
        e = assertThrows(VolumeFormatException.class, () -> Dataset.open("LA", bad));
        assertTrue(e.getMessage().contains("dataset.json: not valid JSON") && e.getMessage().contains("line 2"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void theNiftiNameAsksForTheLayout() throws IOException {
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> Dataset.open("nifti", tmp));
        assertTrue(e.getMessage().contains("no NIfTI data set here (no imagesTr/ folder)"), e.getMessage());
    }
}
