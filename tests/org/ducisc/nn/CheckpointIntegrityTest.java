package org.ducisc.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.io.Safetensors;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged or invalid weights are refused by name (issue 14, items 6 and 10): a flipped bit in any
 * tensor's data fails its checksum, NaN / Inf weights and a negative batch-norm running_var are
 * rejected, and files without checksums (PyTorch's, earlier ones) still load.
 */
class CheckpointIntegrityTest {
    @TempDir
    Path dir;

    private static VNet net() {
        return new VNet(new VNet.Config(1, 2, 2, true, true), Device.CPU, new Rng(3), new Rng(4));
    }

    /** Flips bit {@code bit} of byte {@code at} of the data of tensor {@code name}. */
    private static void flipBit(Path file, String name, long at, int bit) throws IOException {
        long offset;
        try (Safetensors st = Safetensors.read(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.read(len, 0);
            }
            offset = 8 + len.getLong(0) + st.info(name).begin() + at;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.position(0);
            ch.write(b, offset);
        }
    }

    @Test
    void aFlippedBitInAnyTensorIsFoundAndNamed() throws Exception {
        Path file = dir.resolve("last.safetensors");
        try (VNet a = net()) {
            Checkpoint.save(file, a, Map.of("iteration", "5"));
        }
        byte[] clean = Files.readAllBytes(file);
        // The low mantissa bit of a weight (a change no finiteness check sees), a high bit, and a counter.
        String[][] cases = {{"block_five.conv.0.weight", "40", "0"}, {"out_conv.bias", "0", "6"},
            {"block_two.conv.4.num_batches_tracked", "0", "1"}};
        for (String[] c : cases) {
            Files.write(file, clean);
            flipBit(file, c[0], Long.parseLong(c[1]), Integer.parseInt(c[2]));
            IOException e = assertThrows(IOException.class, () -> Checkpoint.load(file, Device.CPU), c[0]);
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("\"" + c[0] + "\"")
                    && e.getMessage().contains("checksum"), e.getMessage());
        }
        Files.write(file, clean);
        try (VNet ok = Checkpoint.load(file, Device.CPU)) {
            assertEquals(2, ok.config().baseFilters());
        }
    }

    @Test
    void checksumsLiveInTheMetadataAndStayOutOfTheCallersView() throws Exception {
        Path file = dir.resolve("w.safetensors");
        Safetensors.write(file, List.of(Safetensors.Entry.floats("a", new float[] {1, 2, 3}, 3)), Map.of("k", "v"));
        String header = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8);
        // CRC-32C of the 12 bytes of 1f, 2f, 3f (little-endian), as java.util.zip.CRC32C computes it.
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3);
        crc.update(data.flip());
        assertTrue(header.contains(String.format("\"crc32c.a\":\"%08x\"", crc.getValue())), header);
        try (Safetensors st = Safetensors.read(file)) {
            assertEquals(Map.of("k", "v"), st.metadata(), "checksums are not the caller's metadata");
        }
        // A checksum for a tensor that is not there is a damaged header.
        Path orphan = dir.resolve("orphan.safetensors");
        Safetensors.write(orphan, List.of(Safetensors.Entry.floats("a", new float[] {1}, 1)), Map.of());
        byte[] bytes = Files.readAllBytes(orphan);
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\"crc32c.a\"", "\"crc32c.b\"");
        Files.write(orphan, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(orphan).close());
        assertTrue(e.getMessage().contains("\"b\""), e.getMessage());
    }

    @Test
    void filesWithoutChecksumsStillLoad() throws Exception {
        // Written by Python's safetensors, without checksums.
        for (String name : new String[] {"vnet_small.safetensors", "ducisc_step.safetensors"}) {
            try (Safetensors st = Safetensors.read(VNetParityTest.fixture(name))) {
                for (String entry : st.entries().keySet()) {
                    assertTrue(st.bytes(entry).byteSize() >= 0);
                }
                assertFalse(st.entries().isEmpty());
            }
        }
    }

    /** Writes the state of a fresh network with one entry replaced. */
    private Path withValue(String name, int index, float value) throws IOException {
        Path file = dir.resolve("bad-" + name + "-" + value + ".safetensors");
        try (VNet a = net()) {
            StateDict state = a.stateDict();
            List<Safetensors.Entry> entries = new ArrayList<>();
            for (Safetensors.Entry e : Checkpoint.entries("", state)) {
                if (e.name().equals(name)) {
                    float[] v = state.tensor(name).toFloatArray();
                    v[index] = value;
                    long[] shape = state.tensor(name).shape();
                    entries.add(Safetensors.Entry.floats(name, v, shape));
                } else {
                    entries.add(e);
                }
            }
            Safetensors.write(file, entries, Checkpoint.describe(a.config()));
        }
        return file;
    }

    @Test
    void nonFiniteWeightsAndNegativeVariancesAreRefusedByName() throws Exception {
        Object[][] cases = {{"block_three.conv.0.weight", 17, Float.NaN, "NaN"},
            {"out_conv.bias", 1, Float.POSITIVE_INFINITY, "Infinity"},
            {"block_one.conv.1.running_mean", 0, Float.NEGATIVE_INFINITY, "-Infinity"},
            {"block_four.conv.1.running_var", 3, -1f, "-1.0"}};
        for (Object[] c : cases) {
            String name = (String) c[0];
            Path file = withValue(name, (Integer) c[1], (Float) c[2]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoint.load(file, Device.CPU), name);
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("\"" + name + "\"")
                    && e.getMessage().contains((String) c[3]) && e.getMessage().contains("index " + c[1]), e.getMessage());
        }
        // A running_var of exactly 0 is valid (a constant channel).
        try (VNet ok = Checkpoint.load(withValue("block_four.conv.1.running_var", 3, 0f), Device.CPU)) {
            assertEquals(2, ok.config().baseFilters());
        }
    }
}
