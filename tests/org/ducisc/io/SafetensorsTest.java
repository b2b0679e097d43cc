package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.ducisc.core.DType;
import org.ducisc.io.Safetensors.ElementType;
import org.ducisc.io.Safetensors.Entry;
import org.ducisc.io.Safetensors.FormatException;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsTest {
    @TempDir
    Path dir;

    // ---- round trip ----

    @Test
    void roundTripKeepsOrderValuesShapesAndMetadata() throws IOException {
        float[] w = new float[3 * 5 * 7];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i * 0.37) * 3 + (i == 4 ? Float.MIN_VALUE : 0);
        }
        w[7] = -0.0f;
        w[8] = Float.NaN;
        byte[] labels = {0, 1, (byte) 255, 7, 1, 0, 1, 1, 0, 2, 9};
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "quote \" backslash \\ newline \n tab \t bell \u0007 accents \u00e9 emoji \ud83d\ude00");
        Path file = dir.resolve("model.safetensors");
        try (Tensor tw = Tensor.of(w, 3, 5, 7); Tensor tl = Tensor.ofBytes(labels, 11)) {
            Safetensors.write(file, List.of(
                    Entry.of("z.weight", tw),
                    Entry.of("labels", tl),
                    Entry.longs("bn.num_batches_tracked", new long[] {1L << 40}),
                    Entry.longs("counts", new long[] {-3, 0, Long.MAX_VALUE}, 3),
                    Entry.floats("scalar", new float[] {2.5f}),
                    Entry.floats("a.bias", new float[] {1, 2, 3}, 3)), meta);
        }
        assertEquals(0, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong() % 8,
                "header padded to a multiple of 8 bytes");
        try (Safetensors st = Safetensors.read(file)) {
            assertEquals(List.of("z.weight", "labels", "bn.num_batches_tracked", "counts", "scalar", "a.bias"),
                    List.copyOf(st.entries().keySet()));
            assertEquals(meta, st.metadata());
            try (Tensor t = st.tensor("z.weight"); Tensor l = st.tensor("labels"); Tensor s = st.tensor("scalar")) {
                assertArrayEquals(new long[] {3, 5, 7}, t.shape());
                assertArrayEquals(bits(w), bits(t.toFloatArray()));
                assertEquals(DType.UINT8, l.dtype());
                assertArrayEquals(labels, l.toByteArray());
                assertArrayEquals(new long[0], s.shape());
                assertEquals(2.5f, s.item());
            }
            assertEquals(ElementType.I64, st.info("bn.num_batches_tracked").dtype());
            assertArrayEquals(new long[0], st.info("bn.num_batches_tracked").shape());
            assertArrayEquals(new long[] {1L << 40}, st.longs("bn.num_batches_tracked"));
            assertArrayEquals(new long[] {-3, 0, Long.MAX_VALUE}, st.longs("counts"));
            assertThrows(IllegalArgumentException.class, () -> st.tensor("counts"));
            assertThrows(IllegalArgumentException.class, () -> st.longs("a.bias"));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> st.info("nope"));
            assertTrue(missing.getMessage().contains("model.safetensors") && missing.getMessage().contains("nope"));
        }
    }

    @Test
    void equalInputsGiveEqualBytesAndNoMetadataMeansOnlyTheChecksums() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        List<Entry> entries = List.of(Entry.floats("x", new float[] {1, 2, 3, 4, 5}, 5, 1));
        Safetensors.write(a, entries, Map.of());
        Safetensors.write(b, entries, Map.of());
        byte[] bytes = Files.readAllBytes(a);
        assertArrayEquals(bytes, Files.readAllBytes(b));
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals("{\"__metadata__\":{\"crc32c.x\":\"404a808d\"},\"x\":{\"dtype\":\"F32\",\"shape\":[5,1],"
                + "\"data_offsets\":[0,20]}}",
                new String(bytes, 8, (int) n, StandardCharsets.UTF_8).stripTrailing());
        try (Safetensors st = Safetensors.read(a)) {
            assertTrue(st.metadata().isEmpty());
        }
    }

    @Test
    void rejectsBadEntriesBeforeTouchingTheDisk() throws IOException {
        Path file = dir.resolve("x.safetensors");
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file,
                List.of(Entry.floats("x", new float[] {1}, 1), Entry.floats("x", new float[] {2}, 1)), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Entry.floats("x", new float[] {1, 2}, 3));
        assertThrows(IllegalArgumentException.class, () -> Entry.floats("__metadata__", new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> Entry.floats("x", new float[0], -1, 0));
        assertTrue(listing().isEmpty());
    }

    // ---- files written by the PyTorch side ----

    @Test
    void readsThePythonFixtureAndItsNumbers() throws Exception {
        try (Safetensors st = Safetensors.read(fixture("vnet_small.safetensors"))) {
            assertEquals("ducisc-vnet-fixture", st.metadata().get("format"));
            Matcher m = Pattern.compile("\"sup\": ([0-9.eE+-]+)").matcher(st.metadata().get("loss_values"));
            assertTrue(m.find());
            try (Tensor sup = st.tensor("loss.sup"); Tensor x = st.tensor("input"); Tensor y = st.tensor("label");
                 Tensor w = st.tensor("param.block_one.conv.0.weight")) {
                assertArrayEquals(new long[0], sup.shape());
                assertEquals((float) Double.parseDouble(m.group(1)), sup.item());
                assertEquals(0.62641895f, sup.item(), 1e-7f);
                assertArrayEquals(new long[] {2, 1, 32, 16, 48}, x.shape());
                assertArrayEquals(new long[] {2, 32, 16, 48}, y.shape());
                int ones = 0;
                for (byte b : y.toByteArray()) {
                    assertTrue(b == 0 || b == 1);
                    ones += b;
                }
                assertTrue(ones > 20_000 && ones < 29_000, "about half of the 49152 label voxels are 1: " + ones);
                assertArrayEquals(new long[] {2, 1, 3, 3, 3}, w.shape());
                for (float v : w.toFloatArray()) {
                    assertTrue(Math.abs(v) <= 1 / Math.sqrt(27), "default init bound 1/sqrt(fan_in): " + v);
                }
            }
            assertArrayEquals(new long[] {0}, st.longs("param.block_one.conv.1.num_batches_tracked"));
            assertArrayEquals(new long[] {1}, st.longs("train.running.block_one.conv.1.num_batches_tracked"));
            assertEquals(ElementType.I64, st.info("param.block_nine.conv.1.num_batches_tracked").dtype());
        }
    }

    /**
     * Our writer reproduces the Python writer's file byte for byte (same JSON, same padding) but for the
     * checksums it adds to the metadata: the data after the header is identical, and so is the header
     * with the checksum keys taken out.
     */
    @ParameterizedTest
    @ValueSource(strings = {"vnet_small.safetensors", "vnet_f16.safetensors"})
    void rewritingAPythonFixtureGivesTheSameBytes(String name) throws Exception {
        Path original = fixture(name);
        Path copy = dir.resolve("copy.safetensors");
        try (Safetensors st = Safetensors.read(original)) {
            List<Entry> entries = new ArrayList<>();
            for (Safetensors.Info info : st.entries().values()) {
                entries.add(Entry.custom(info.name(), info.dtype(), info.shape(),
                        seg -> seg.copyFrom(st.bytes(info.name()))));
            }
            Safetensors.write(copy, entries, st.metadata());
        }
        byte[] a = Files.readAllBytes(original);
        byte[] b = Files.readAllBytes(copy);
        int ha = 8 + (int) ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int hb = 8 + (int) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertArrayEquals(Arrays.copyOfRange(a, ha, a.length), Arrays.copyOfRange(b, hb, b.length));
        String headerA = new String(a, 8, ha - 8, StandardCharsets.UTF_8).strip();
        String headerB = new String(b, 8, hb - 8, StandardCharsets.UTF_8).strip()
                .replaceAll("\"crc32c\\.[^\"]*\":\"[0-9a-f]{8}\",?", "").replace(",}", "}").replace("\"__metadata__\":{},", "");
        assertEquals(headerA, headerB);
    }

    // ---- validation, one problem at a time ----

    @Test
    void rejectsShortFilesAndBadHeaderLengths() throws IOException {
        expectFormatError(raw(new byte[5]), "fewer than the 8");
        expectFormatError(raw(le(1000)), "exceeds");
        expectFormatError(raw(concat(le(40), "{}".getBytes(StandardCharsets.UTF_8))), "exceeds");
        expectFormatError(raw(le(200_000_000L)), "absurd");
        expectFormatError(raw(le(8295758548461186409L)), "not a safetensors file"); // a text file's first 8 bytes
        expectFormatError(raw(le(-1L)), "absurd");
    }

    @Test
    void rejectsHeadersThatAreNotUtf8OrNotJson() throws IOException {
        expectFormatError(raw(concat(le(4), new byte[] {'{', (byte) 0xc3, 0x28, '}'})), "UTF-8");
        expectFormatError(file("{\"a\":", 0), "not valid JSON");
        expectFormatError(file("{} x", 0), "not valid JSON");
        expectFormatError(file("[]", 0), "not a JSON object");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "integers");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4),
                "64 bits");
        expectFormatError(file("[".repeat(10_000), 0), "nesting");
        expectFormatError(file("{\"a\\q\":1}", 0), "escape");
    }

    @Test
    void rejectsIncompleteOrUnknownEntries() throws IOException {
        expectFormatError(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "no dtype");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "no shape");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "no data_offsets");
        expectFormatError(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2),
                "unsupported dtype F16");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "unknown field");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "negative");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "array of 2");
        expectFormatError(file("{\"a\":3}", 0), "not an object");
        expectFormatError(file("{\"__metadata__\":{\"k\":1}}", 0), "not a string");
        expectFormatError(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "duplicate key");
        expectFormatError(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}",
                4), "overflows");
    }

    @Test
    void rejectsOffsetsThatDoNotTileTheDataArea() throws IOException {
        expectFormatError(file(entry("a", "F32", "[2]", 0, 8), 4), "outside the data area");
        expectFormatError(file(entry("a", "F32", "[1]", 4, 0), 4), "end before");
        expectFormatError(file(entry("a", "F32", "[2]", 0, 4), 4), "needs 8");
        expectFormatError(file(entry("a", "U8", "[4]", 0, 4) + "," + entry("b", "U8", "[4]", 2, 6), 6), "overlap");
        expectFormatError(file(entry("a", "U8", "[4]", 2, 6), 6), "gap");
        expectFormatError(file(entry("a", "U8", "[4]", 0, 4), 6), "cover 4 bytes");
        expectFormatError(file(entry("a", "I64", "[]", 0, 8) + "," + entry("b", "U8", "[2,0]", 8, 8), 8), null);
    }

    // ---- damaged files: each must read cleanly or fail with a FormatException ----

    @Test
    void everyTruncationOfAValidFileFails() throws IOException {
        byte[] valid = smallValidFile();
        for (int length = 0; length < valid.length; length++) {
            Path p = raw(java.util.Arrays.copyOf(valid, length));
            assertThrows(FormatException.class, () -> Safetensors.read(p).close(), "truncated to " + length);
        }
        Path longer = raw(concat(valid, new byte[] {0}));
        assertThrows(FormatException.class, () -> Safetensors.read(longer).close());
    }

    @Test
    void randomBitFlipsGiveACleanErrorOrAValidRead() throws IOException {
        byte[] valid = smallValidFile();
        int headerEnd = 8 + (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong();
        SplittableRandom rng = new SplittableRandom(20250711);
        int read = 0;
        int rejected = 0;
        for (int trial = 0; trial < 400; trial++) {
            byte[] damaged = valid.clone();
            int flips = 1 + rng.nextInt(3);
            for (int f = 0; f < flips; f++) {
                // three in four flips hit the length field or the header, where the parser is tested
                int at = rng.nextInt(4) == 0 ? rng.nextInt(valid.length) : rng.nextInt(headerEnd);
                damaged[at] ^= (byte) (1 << rng.nextInt(8));
            }
            Path p = raw(damaged);
            try (Safetensors st = Safetensors.read(p)) {
                readEverything(st);
                read++;
            } catch (FormatException e) {
                assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
                rejected++;
            } catch (RuntimeException e) {
                fail("trial " + trial + ": " + e, e);
            }
        }
        // Flips in the data now fail the checksums, so most damaged files are rejected.
        assertTrue(read > 5 && rejected > 300, "read " + read + ", rejected " + rejected);
    }

    private static void readEverything(Safetensors st) {
        for (Safetensors.Info info : st.entries().values()) {
            if (info.dtype() == ElementType.I64) {
                assertEquals(info.numel(), st.longs(info.name()).length);
            } else {
                try (Tensor t = st.tensor(info.name())) {
                    assertEquals(info.numel(), t.numel());
                }
            }
        }
    }

    private byte[] smallValidFile() throws IOException {
        Path p = dir.resolve("valid.safetensors");
        float[] v = new float[15];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f - 3;
        }
        Safetensors.write(p, List.of(
                Entry.floats("conv.weight", v, 3, 5),
                Entry.custom("mask", ElementType.U8, new long[] {7}, seg -> seg.fill((byte) 1)),
                Entry.longs("bn.num_batches_tracked", new long[] {12})), Map.of("format", "pt", "step", "3"));
        byte[] bytes = Files.readAllBytes(p);
        Files.delete(p);
        return bytes;
    }

    // ---- atomic write ----

    @Test
    void aFailingEntryLeavesThePreviousFileAndNoTemporary() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, List.of(Entry.floats("x", new float[] {1, 2}, 2)), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(file);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Safetensors.write(file, List.of(
                Entry.floats("x", new float[] {3, 4}, 2),
                Entry.custom("broken", ElementType.F32, new long[] {1000}, seg -> {
                    throw new IllegalStateException("disk on fire");
                })), Map.of("v", "2")));
        assertEquals("disk on fire", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file), listing());
    }

    @Test
    void aFailedRenameLeavesNoTemporary() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "keep me");
        assertThrows(IOException.class, () -> Safetensors.write(target, List.of(Entry.floats("x", new float[] {1}, 1)),
                Map.of()));
        assertEquals(List.of(target), listing());
        assertEquals("keep me", Files.readString(target.resolve("inside")));
    }

    @Test
    void aMissingDirectoryIsAnIoErrorNamingIt() {
        Path file = dir.resolve("no/such/dir/x.safetensors");
        IOException e = assertThrows(IOException.class, () -> Safetensors.write(file, List.of(), Map.of()));
        assertTrue(e.getMessage().contains("no/such/dir"), e.getMessage());
    }

    @Test
    void replacingAFileKeepsAnOpenReaderValid() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, List.of(Entry.floats("x", new float[] {1, 2}, 2)), Map.of());
        try (Safetensors old = Safetensors.read(file)) {
            Safetensors.write(file, List.of(Entry.floats("x", new float[] {5, 6, 7}, 3)), Map.of());
            try (Tensor t = old.tensor("x")) {
                assertArrayEquals(new float[] {1, 2}, t.toFloatArray());
            }
        }
        try (Safetensors now = Safetensors.read(file); Tensor t = now.tensor("x")) {
            assertArrayEquals(new float[] {5, 6, 7}, t.toFloatArray());
            now.close();
            assertThrows(IllegalStateException.class, () -> now.tensor("x"));
        }
    }

    // ---- helpers ----

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static Path fixture(String name) throws Exception {
        return Path.of(SafetensorsTest.class.getResource("/fixtures/" + name).toURI());
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    /** A file with this header (wrapped in braces unless it is already a document) and dataBytes of data. */
    private Path file(String header, int dataBytes) throws IOException {
        String json = header.startsWith("{") || header.startsWith("[") ? header : "{" + header + "}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(concat(concat(le(h.length), h), new byte[dataBytes]));
    }

    private int counter;

    private Path raw(byte[] bytes) throws IOException {
        Path p = dir.resolve("case" + counter++ + ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    private static byte[] le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    /** problem == null: the file is valid and must read. */
    private static void expectFormatError(Path p, String problem) throws IOException {
        if (problem == null) {
            try (Safetensors st = Safetensors.read(p)) {
                readEverything(st);
            }
            return;
        }
        FormatException e = assertThrows(FormatException.class, () -> Safetensors.read(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), "expected \"" + problem + "\" in: " + e.getMessage());
    }
}
