package org.ducisc.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void viewsShareStorageAndOutliveTheirParent() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor row = t.slice(1, 3);
        Tensor flat = t.reshape(-1);
        t.close();
        assertArrayEquals(new float[] {3, 4, 5, 6}, row.toFloatArray());
        assertArrayEquals(new long[] {6}, flat.shape());
        row.close();
        flat.close();
        assertThrows(IllegalStateException.class, row::toFloatArray);
    }

    @Test
    void closingTwiceIsHarmless() {
        Tensor t = Tensor.zeros(4);
        t.close();
        t.close();
        assertTrue(t.isClosed());
    }

    @Test
    void scopeFreesWhatItOwnsAndKeepHandsOn() {
        CpuBackend cpu = CpuBackend.INSTANCE;
        long before = cpu.liveBytes();
        Tensor kept;
        Tensor dropped;
        try (MemoryScope outer = MemoryScope.open()) {
            try (MemoryScope inner = MemoryScope.open()) {
                dropped = Tensor.zeros(1000);
                kept = inner.keep(Tensor.zeros(1000));
            }
            assertTrue(dropped.isClosed());
            assertFalse(kept.isClosed());
        }
        assertTrue(kept.isClosed());
        assertEquals(before, cpu.liveBytes());
    }

    @Test
    void unscopedTensorsBelongToTheCaller() {
        Tensor t;
        try (MemoryScope s = MemoryScope.open()) {
            t = MemoryScope.unscoped(() -> Tensor.zeros(3));
        }
        assertFalse(t.isClosed());
        t.close();
    }

    @Test
    void badShapesAreRejectedWithTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        try (MemoryScope s = MemoryScope.open(); Tensor t = Tensor.zeros(2, 3)) {
            e = assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
            assertTrue(e.getMessage().contains("reshape"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.slice(1, 3));
            e = assertThrows(IllegalArgumentException.class, () -> Elementwise.add(t, Tensor.zeros(4)));
            assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[2, 3]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Reductions.sum(t, false, 2));
        }
    }

    @Test
    void uint8TensorsCompareAndCast() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor labels = Tensor.ofBytes(new byte[] {0, 1, 2, (byte) 200}, 4);
            Tensor isOne = Elementwise.compare(CompareOp.EQ, labels, 1, DType.UINT8);
            assertArrayEquals(new byte[] {0, 1, 0, 0}, isOne.toByteArray());
            assertArrayEquals(new float[] {0, 1, 2, 200}, Elementwise.cast(labels, DType.FLOAT32).toFloatArray());
            Tensor f = Tensor.of(new float[] {-3f, 0.7f, 254.9f, 300f}, 4);
            assertArrayEquals(new byte[] {0, 0, (byte) 254, (byte) 255}, Elementwise.cast(f, DType.UINT8).toByteArray());
            assertThrows(IllegalArgumentException.class, labels::toFloatArray);
        }
    }

    @Test
    void rngIsReproducibleAndResumable() {
        Rng a = new Rng(1337);
        Rng b = new Rng(1337);
        for (int i = 0; i < 10; i++) {
            assertEquals(a.nextGaussian(), b.nextGaussian());
        }
        long[] snap = a.snapshot();
        double next = a.nextGaussian();
        float f = a.nextFloat();
        Rng c = new Rng(0);
        c.restore(snap);
        assertEquals(next, c.nextGaussian());
        assertEquals(f, c.nextFloat());
        double mean = 0;
        double sq = 0;
        Rng r = new Rng(7);
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            mean += g;
            sq += g * g;
        }
        assertEquals(0, mean / n, 0.01);
        assertEquals(1, sq / n, 0.01);
    }

    @Test
    void deviceParsing() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals(Device.cuda(1), Device.parse("cuda:1"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
    }
}
