package org.ducisc.data;

import org.ducisc.io.Volume;

/**
 * The one rule for label maps of the binary segmentation every data set here is (the left atrium, the
 * pancreas, the nerve): a voxel whose label is 0 is background, any other label value (1, 255 as some
 * LA copies store it, 2, ...) is foreground. The readers accept integer labels in 0..255 and refuse
 * anything else, NaN included, naming the file and the value; the rule is then applied when a case is
 * loaded ({@link Dataset#read}), so training, validation, {@code test} and the demo see classes 0 and 1
 * only, and {@code metrics} and {@code predict} count any non-zero voxel as foreground, as medpy's
 * metrics do ({@code numpy.atleast_1d(x.astype(bool))}).
 */
public final class BinaryLabels {
    private BinaryLabels() {
    }

    /** {@code label} with every non-zero value set to 1 (the same volume when it already is 0/1). */
    public static Volume binarise(Volume label) {
        byte[] v = label.labels();
        for (byte b : v) {
            if (b != 0 && b != 1) {
                byte[] out = new byte[v.length];
                for (int i = 0; i < v.length; i++) {
                    out[i] = v[i] != 0 ? (byte) 1 : 0;
                }
                return label.withLabels(out);
            }
        }
        return label;
    }
}
