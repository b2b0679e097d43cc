package org.ducisc.core;

import java.util.Locale;

/**
 * Where a tensor's memory lives: the host CPU, one CUDA device by index, or the emulated CUDA device
 * (the CUDA backend's kernels built for and run on the host; see kernels/host_emulation.h).
 */
public record Device(Kind kind, int index) {
    public enum Kind { CPU, CUDA, CUDA_EMULATED }

    public static final Device CPU = new Device(Kind.CPU, 0);
    /** The emulated CUDA device, named "cuda-emu". */
    public static final Device CUDA_EMULATED = new Device(Kind.CUDA_EMULATED, 0);
    static final String EMULATED_NAME = "cuda-emu";

    public Device {
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
        if (kind != Kind.CUDA && index != 0) {
            throw new IllegalArgumentException("the " + kind + " device has index 0, got " + index);
        }
    }

    public static Device cuda(int index) {
        return new Device(Kind.CUDA, index);
    }

    /** Parses "cpu", "cuda", "cuda:N" or "cuda-emu". */
    public static Device parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("cuda")) {
            return cuda(0);
        }
        if (s.equals(EMULATED_NAME)) {
            return CUDA_EMULATED;
        }
        if (s.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("unknown device '" + text + "' (expected cpu, cuda, cuda:N or cuda-emu)");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case CPU -> "cpu";
            case CUDA -> "cuda:" + index;
            case CUDA_EMULATED -> EMULATED_NAME;
        };
    }
}
