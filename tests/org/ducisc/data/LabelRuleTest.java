package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.ducisc.io.CaseData;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 4: one rule for binary labels everywhere (0 = background, any other value =
 * foreground), applied when a case is loaded, so training sees what test and metrics see; label maps
 * with NaN voxels are refused.
 */
class LabelRuleTest {
    @TempDir
    Path dir;

    @Test
    void labelsStored0And255AreForegroundWhenACaseIsLoaded() throws Exception {
        Phantom.writeDataset(dir, 5, 3, new int[] {32, 32, 32});
        Dataset ds = Dataset.open("LA", dir);
        String name = ds.trainCases().get(0);
        CaseData original = ds.read(name);
        byte[] stored = original.label().labels().clone();
        int foreground = 0;
        for (int i = 0; i < stored.length; i++) {
            if (stored[i] != 0) {
                stored[i] = (byte) (i % 2 == 0 ? 255 : 2); // as some LA copies store it, and a second value
                foreground++;
            }
        }
        assertTrue(foreground > 0);
        H5Volumes.write(ds.caseFile(name), original.image(), Volume.ofLabels(original.label().shape(), stored));
        byte[] loaded = ds.read(name).label().labels();
        byte[] want = new byte[stored.length];
        for (int i = 0; i < stored.length; i++) {
            want[i] = (byte) (stored[i] != 0 ? 1 : 0);
        }
        assertArrayEquals(want, loaded, "0 = background, any other value = foreground (class 1)");
        // The training batches are built from the loaded cases: only classes 0 and 1 reach the loss.
        BatchLoader.Config ref = BatchLoader.Config.reference(DatasetKind.LA, 2, 7);
        BatchLoader.Config cfg = new BatchLoader.Config(2, 2, 2, new Augmentation(new int[] {32, 32, 16}, true),
                ref.seed(), 1);
        try (BatchLoader loader = BatchLoader.start(ds, cfg, 0)) {
            for (int b = 0; b < 3; b++) {
                try (TrainBatch batch = loader.take()) {
                    for (byte v : batch.label().toByteArray()) {
                        assertTrue(v == 0 || v == 1, "label value " + (v & 0xFF) + " in batch " + b);
                    }
                }
            }
        }
    }

    @Test
    void aNiftiLabelMapWithNaNVoxelsIsRefused() throws Exception {
        float[] values = new float[4 * 5 * 6];
        values[7] = 1;
        values[33] = Float.NaN;
        Path file = dir.resolve("nan-label.nii");
        Nifti.write(file, Volume.ofFloats(new int[] {4, 5, 6}, values));
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> Nifti.readLabels(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("NaN"), e.getMessage());
        assertEquals(1, Nifti.readLabels(writeLabel(values, 33, 1)).labels()[33]);
    }

    private Path writeLabel(float[] values, int at, float v) throws Exception {
        float[] copy = values.clone();
        copy[at] = v;
        Path file = dir.resolve("label.nii");
        Nifti.write(file, Volume.ofFloats(new int[] {4, 5, 6}, copy));
        return file;
    }
}
