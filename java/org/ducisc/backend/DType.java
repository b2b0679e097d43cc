package org.ducisc.backend;

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

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
