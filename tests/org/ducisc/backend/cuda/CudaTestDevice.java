package org.ducisc.backend.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.ducisc.backend.Backend;
import org.ducisc.core.Device;
import org.ducisc.runtime.Backends;

/**
 * The device the CUDA suite runs on: the system property ducisc.test.cudaDevice, default "cuda-emu" (the
 * emulated device, whose library mvn builds before the tests: a missing one fails the suite rather than
 * skipping it); "cuda:N" on a GPU host (bench/gpu/run.sh), skipped where no GPU works. The random seed
 * of the suite is ducisc.test.seed (default 20261129), printed by each test class.
 */
final class CudaTestDevice {
    private static final long DEFAULT_SEED = 20261129L;

    private CudaTestDevice() {
    }

    static String name() {
        return System.getProperty("ducisc.test.cudaDevice", "cuda-emu");
    }

    static long seed() {
        return Long.getLong("ducisc.test.seed", DEFAULT_SEED);
    }

    /** True when the suite runs at the full sizes of a GPU session (-Dducisc.test.fullSize=true). */
    static boolean fullSize() {
        return Boolean.getBoolean("ducisc.test.fullSize");
    }

    /** The device under test, opened; fails (emulated) or skips (GPU) the calling test if it cannot be used. */
    static Device device() {
        Device device = Device.parse(name());
        try {
            Backends.of(device);
        } catch (IllegalStateException e) {
            if (device.kind() == Device.Kind.CUDA_EMULATED) {
                fail("the emulated CUDA device must run in every test build: " + e.getMessage());
            }
            assumeTrue(false, "no usable CUDA device: " + e.getMessage());
        }
        return device;
    }

    static Backend backend() {
        return Backends.of(device());
    }
}
