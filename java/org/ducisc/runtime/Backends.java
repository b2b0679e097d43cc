package org.ducisc.runtime;

import java.util.Locale;
import org.ducisc.backend.Backend;
import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.backend.cuda.CudaBackend;
import org.ducisc.backend.cuda.CudaUnavailableException;
import org.ducisc.core.Device;

/** Finds the backend that owns a device, and turns a device name from the command line into a usable device. */
public final class Backends {
    private Backends() {
    }

    /**
     * The backend of {@code device}. A CUDA device that cannot be used (no driver, no kernel library,
     * no such device) throws IllegalStateException with one line saying why. While an {@link OpProfile}
     * runs, the backend comes wrapped in its timing decorator.
     */
    public static Backend of(Device device) {
        Backend backend = device.kind() == Device.Kind.CPU ? CpuBackend.INSTANCE : cuda(device);
        OpProfile profile = OpProfile.active();
        return profile == null ? backend : profile.decorate(backend);
    }

    private static CudaBackend cuda(Device device) {
        try {
            return device.kind() == Device.Kind.CUDA_EMULATED ? CudaBackend.emulated()
                    : CudaBackend.forDevice(device.index());
        } catch (CudaUnavailableException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** A device chosen from a name, with a line describing it for the user. */
    public record Selection(Device device, String description) {
    }

    /**
     * Resolves "cpu", "cuda", "cuda:N", "cuda-emu" (the emulated CUDA device) or "auto". A CUDA device is opened here, so an unusable one fails
     * now with one line (IllegalStateException); "auto" takes cuda:0 when it works and the CPU otherwise,
     * saying why.
     */
    public static Selection select(String name) {
        if (name.trim().toLowerCase(Locale.ROOT).equals("auto")) {
            try {
                return new Selection(Device.cuda(0), cuda(Device.cuda(0)).describe());
            } catch (IllegalStateException e) {
                return new Selection(Device.CPU, cpuDescription() + "; CUDA not used: " + e.getMessage());
            }
        }
        Device device = Device.parse(name);
        if (device.kind() == Device.Kind.CPU) {
            return new Selection(device, cpuDescription());
        }
        return new Selection(device, cuda(device).describe());
    }

    private static String cpuDescription() {
        return "cpu (" + Runtime.getRuntime().availableProcessors() + " cores)";
    }
}
