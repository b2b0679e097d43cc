package org.ducisc.core;

/** Element types a tensor can hold: float32 for values, uint8 for labels and masks. */
public enum DType {
    FLOAT32(4),
    UINT8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** A value stored as uint8: truncated toward zero, saturated at 0 and 255 (NaN gives 0). */
    public static byte toUint8(double v) {
        if (!(v > 0)) {
            return 0;
        }
        return (byte) (int) Math.min(255, v);
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
