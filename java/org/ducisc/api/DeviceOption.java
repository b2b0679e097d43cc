package org.ducisc.api;

import org.ducisc.core.Device;
import org.ducisc.runtime.Backends;

/** The device option of the builders: "cpu", "cuda", "cuda:N" or "auto", opened and checked when built. */
final class DeviceOption {
    private DeviceOption() {
    }

    /**
     * The device {@code name} selects; a CUDA device is opened here, so an unusable one (no driver, no
     * kernel library, no such device) is an IllegalArgumentException naming the option and the reason.
     */
    static Device select(String name) {
        try {
            return Backends.select(name).device();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("device " + name + ": " + e.getMessage(), e);
        }
    }
}
