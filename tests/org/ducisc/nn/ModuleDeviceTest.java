package org.ducisc.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.core.Device;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A module knows its device from construction, and refuses a parameter, buffer or child that lives
 * elsewhere, so {@link Module#device()} is where its tensors are (no device is needed here: the check
 * compares device names before anything runs on them).
 */
class ModuleDeviceTest {
    /** A module declared on {@code device} that registers a CPU tensor or module as asked. */
    private static final class Probe extends Module {
        Probe(Device device) {
            super(device);
        }

        void parameter(Tensor t) {
            addParameter("w", t);
        }

        void buffer(Tensor t) {
            addBuffer("b", t);
        }

        void child(Module m) {
            addChild("c", m);
        }
    }

    @Test
    void everyModuleOfAVNetIsOnItsDevice() {
        try (VNet net = new VNet(new VNet.Config(1, 2, 2, false, true), Device.CPU, new Rng(1), new Rng(2))) {
            assertEquals(Device.CPU, net.device());
            int[] seen = {0};
            net.children().values().forEach(m -> {
                assertEquals(Device.CPU, m.device());
                seen[0]++;
            });
            assertTrue(seen[0] > 0);
        }
    }

    @Test
    void entriesOnAnotherDeviceAreRefused() {
        Probe probe = new Probe(Device.cuda(1));
        try (Tensor t = Tensor.zeros(Device.CPU, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> probe.parameter(t));
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("cuda:1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> probe.buffer(t));
        }
        try (BatchNorm3d cpuChild = new BatchNorm3d(2, Device.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> probe.child(cpuChild));
            assertTrue(e.getMessage().contains("'c'"), e.getMessage());
        }
        assertThrows(NullPointerException.class, () -> new Probe(null));
    }
}
