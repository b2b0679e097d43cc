package org.ducisc.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector species of the CPU kernels, chosen once. System property ducisc.vector.bits
 * overrides it (128, 256, 512; 0 means scalar code only, for comparison).
 */
final class Vectors {
    static final VectorSpecies<Float> F = species();
    /** Lanes per vector, or 0 when the kernels must take their scalar paths. */
    static final int LANES = F == null ? 0 : F.length();

    private Vectors() {
    }

    private static VectorSpecies<Float> species() {
        String bits = System.getProperty("ducisc.vector.bits");
        if (bits == null) {
            return FloatVector.SPECIES_PREFERRED;
        }
        int b = Integer.parseInt(bits.trim());
        if (b == 0) {
            return null;
        }
        return FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(b));
    }
}
