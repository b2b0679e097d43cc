package org.ducisc.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.io.Safetensors;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private static VNet net(int filters, long seed) {
        return new VNet(new VNet.Config(1, 2, filters, true, true), Device.CPU, new Rng(seed), new Rng(seed + 1));
    }

    @Test
    void roundTripKeepsEveryEntryAndTheMetadata() throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (VNet a = net(2, 1)) {
            Checkpoint.save(file, a, Map.of("iteration", "1200", "dataset", "LA", "labelnum", "8", "seed", "1337"));
            try (Safetensors st = Safetensors.read(file)) {
                assertEquals("1200", st.metadata().get("iteration"));
                assertEquals("2", st.metadata().get("base_filters"));
                assertEquals(a.stateDict().names(), new ArrayList<>(st.entries().keySet()));
                assertEquals(Safetensors.ElementType.I64, st.info("block_two.conv.4.num_batches_tracked").dtype());
                assertArrayEquals(new long[0], st.info("block_two.conv.4.num_batches_tracked").shape());
            }
            try (VNet b = Checkpoint.load(file, Device.CPU)) {
                StateDict sa = a.stateDict();
                StateDict sb = b.stateDict();
                for (String name : sa.names()) {
                    if (sa.isCounter(name)) {
                        assertEquals(sa.counter(name), sb.counter(name), name);
                    } else {
                        assertArrayEquals(sa.tensor(name).toFloatArray(), sb.tensor(name).toFloatArray(), name);
                    }
                }
            }
        }
    }

    /** A state dict written by PyTorch has no metadata: the shape comes from the weights. */
    @Test
    void thePyTorchFixtureLoadsWithoutMetadata() throws Exception {
        Path file = dir.resolve("from-pytorch.safetensors");
        try (Safetensors fixture = Safetensors.read(VNetParityTest.fixture("vnet_small.safetensors"));
             MemoryScope scope = MemoryScope.open()) {
            List<Safetensors.Entry> entries = new ArrayList<>();
            for (String name : fixture.entries().keySet()) {
                if (!name.startsWith("param.")) {
                    continue;
                }
                String key = name.substring("param.".length());
                entries.add(fixture.info(name).dtype() == Safetensors.ElementType.I64
                        ? Safetensors.Entry.longs(key, fixture.longs(name))
                        : Safetensors.Entry.of(key, fixture.tensor(name)));
            }
            Safetensors.write(file, entries, Map.of());
            try (VNet loaded = Checkpoint.load(file, Device.CPU)) {
                assertEquals(2, loaded.config().baseFilters());
                assertTrue(loaded.config().deepSupervision());
                assertArrayEquals(fixture.tensor("param.block_four.conv.3.weight").toFloatArray(),
                        loaded.stateDict().tensor("block_four.conv.3.weight").toFloatArray());
            }
        }
    }

    @Test
    void strictLoadListsEveryOffendingKey() {
        try (VNet a = net(2, 1); VNet wide = net(4, 1); MemoryScope scope = MemoryScope.open()) {
            StateDict source = new StateDict();
            StateDict own = a.stateDict();
            for (String name : own.names()) {
                if (name.equals("out_conv.bias")) {
                    continue;
                }
                if (own.isCounter(name)) {
                    source.putLong(name, 3);
                } else if (name.equals("block_one.conv.0.weight")) {
                    source.putTensor(name, wide.stateDict().tensor(name));
                } else {
                    source.putTensor(name, own.tensor(name));
                }
            }
            source.putTensor("extra.weight", Tensor.zeros(3));
            float before = own.tensor("block_two.conv.0.weight").toFloatArray()[0];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.loadStateDict(source));
            String m = e.getMessage();
            assertTrue(m.contains("missing out_conv.bias [2]"), m);
            assertTrue(m.contains("unexpected extra.weight [3]"), m);
            assertTrue(m.contains("wrong shape block_one.conv.0.weight [4, 1, 3, 3, 3], expected [2, 1, 3, 3, 3]"), m);
            assertEquals(before, own.tensor("block_two.conv.0.weight").toFloatArray()[0], "nothing loaded on error");
        }
    }

    @Test
    void metadataThatContradictsTheWeightsIsRejected() throws Exception {
        Path file = dir.resolve("bad-meta.safetensors");
        try (VNet a = net(2, 1)) {
            Checkpoint.save(file, a, Map.of("base_filters", "16"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file, Device.CPU));
        assertTrue(e.getMessage().contains("16 base filters"), e.getMessage());
    }

    @Test
    void aTruncatedFileIsAClearErrorAndAnOverwriteIsAtomic() throws Exception {
        Path file = dir.resolve("m.safetensors");
        try (VNet a = net(2, 1)) {
            Checkpoint.save(file, a, Map.of());
        }
        byte[] good = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length / 2));
        Exception e = assertThrows(java.io.IOException.class, () -> Checkpoint.load(cut, Device.CPU));
        assertTrue(e.getMessage().contains("cut.safetensors"), e.getMessage());
        // Overwriting keeps the old file until the new one is complete, and leaves no temporary behind.
        try (VNet b = net(2, 7)) {
            Checkpoint.save(file, b, Map.of("iteration", "2"));
        }
        try (Safetensors st = Safetensors.read(file)) {
            assertEquals("2", st.metadata().get("iteration"));
        }
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp")), "temporary left behind");
        }
    }
}
