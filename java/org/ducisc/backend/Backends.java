package org.ducisc.backend;

import org.ducisc.backend.cpu.CpuBackend;

/** Finds the backend that owns a device. */
public final class Backends {
    private Backends() {
    }

    public static Backend of(Device device) {
        if (device.kind() == Device.Kind.CPU) {
            return CpuBackend.INSTANCE;
        }
        throw new UnsupportedOperationException("device " + device
                + ": the CUDA backend is not built into this version; use --device cpu");
    }
}
