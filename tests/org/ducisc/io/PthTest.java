package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .pth reader against files written by PyTorch 1.13's torch.save (tests/fixtures/make_pth_fixtures.py)
 * and against hand-made archives with hostile or corrupt pickles.
 */
public class PthTest {
    /** Where the malicious fixture's os.system call would create a file. */
    public static final Path MARKER = Path.of("/tmp/ducisc-pth-marker");

    @TempDir
    Path tmp;

    public static Path fixture(String name) {
        try {
            return Path.of(PthTest.class.getResource("/fixtures/pth/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " missing: run tests/fixtures/make_pth_fixtures.py", e);
        }
    }

    @Test
    void stateDictMatchesPyTorchsSums() throws IOException {
        Map<String, Pth.Array> sd = Pth.readStateDict(fixture("vnet_b1.pth"));
        List<String> lines = Files.readAllLines(fixture("vnet_b1.txt"));
        assertEquals(lines.size(), sd.size());
        int i = 0;
        for (Map.Entry<String, Pth.Array> e : sd.entrySet()) {
            String[] f = lines.get(i++).split(" ");
            assertEquals(f[0], e.getKey(), "state-dict order is PyTorch's");
            Pth.Array a = e.getValue();
            assertEquals(f[1], a.dtype(), f[0]);
            long[] shape = f[2].equals("-") ? new long[0] : Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray();
            assertArrayEquals(shape, a.shape(), f[0]);
            double sum = 0;
            double weighted = 0;
            int n = a.isInteger() ? a.longs().length : a.floats().length;
            for (int k = 0; k < n; k++) {
                double v = a.isInteger() ? a.longs()[k] : a.floats()[k];
                sum += v;
                weighted += v * (k % 7 + 1);
            }
            assertEquals(Double.parseDouble(f[3]), sum, 1e-9 * (1 + Math.abs(sum)), f[0]);
            assertEquals(Double.parseDouble(f[4]), weighted, 1e-9 * (1 + Math.abs(weighted)), f[0]);
        }
        assertEquals(5L, sd.get("block_one.conv.1.num_batches_tracked").longs()[0]);
        assertNull(sd.get("block_one.conv.1.num_batches_tracked").floats());
    }

    @Test
    void sharedStorageOffsetsAndStridesGiveTheSameValues() throws IOException {
        Map<String, Pth.Array> plain = Pth.readStateDict(fixture("vnet_b1.pth"));
        Map<String, Pth.Array> views = Pth.readStateDict(fixture("vnet_b1_views.pth"));
        assertEquals(plain.keySet().stream().filter(k -> k.startsWith("block_one") || k.startsWith("block_two")
                || k.startsWith("out_conv")).toList(), List.copyOf(views.keySet()));
        for (String k : views.keySet()) {
            assertArrayEquals(plain.get(k).shape(), views.get(k).shape(), k);
            assertArrayEquals(plain.get(k).floats(), views.get(k).floats(), k);
            assertArrayEquals(plain.get(k).longs(), views.get(k).longs(), k);
        }
    }

    @Test
    void wrappedHalfAndBfloat16StateDictIsFoundAndWidened() throws IOException {
        Map<String, Pth.Array> plain = Pth.readStateDict(fixture("vnet_b1.pth"));
        Map<String, Pth.Array> mixed = Pth.readStateDict(fixture("vnet_b1_wrapped.pth"));
        assertEquals(List.copyOf(plain.keySet()), List.copyOf(mixed.keySet()), "the dict under 'model', nothing else");
        int i = 0;
        int halves = 0;
        int bf16 = 0;
        for (String k : plain.keySet()) {
            Pth.Array p = plain.get(k);
            Pth.Array m = mixed.get(k);
            if (p.isInteger()) {
                assertArrayEquals(p.longs(), m.longs(), k);
            } else {
                boolean half = i % 2 == 0;
                assertEquals(half ? "float16" : "bfloat16", m.dtype(), k);
                float[] expect = p.floats().clone();
                for (int j = 0; j < expect.length; j++) {
                    expect[j] = half ? Float.float16ToFloat(Float.floatToFloat16(expect[j])) : toBfloat16(expect[j]);
                }
                assertArrayEquals(expect, m.floats(), k);
                if (half) {
                    halves++;
                } else {
                    bf16++;
                }
            }
            i++;
        }
        assertTrue(halves > 10 && bf16 > 10, halves + " float16 and " + bf16 + " bfloat16 tensors");
    }

    /** Round to nearest even to bfloat16 (torch's conversion for finite values). */
    private static float toBfloat16(float x) {
        int bits = Float.floatToRawIntBits(x);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xffff0000);
    }

    @Test
    void maliciousPickleIsRefusedNamingTheGlobalAndRunsNothing() throws IOException {
        Files.deleteIfExists(MARKER);
        Pth.FormatException e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(fixture("malicious.pth")));
        assertTrue(e.getMessage().contains("refused global 'posix.system'"), e.getMessage());
        assertTrue(e.getMessage().contains("malicious.pth"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertFalse(Files.exists(MARKER), "the pickle's os.system call must never run");
    }

    @Test
    void otherGlobalsAndOpcodesAreRefused() throws IOException {
        // GLOBAL builtins.eval, as a protocol-2 pickle would name it
        assertRefused(pickle(p -> p.write("cbuiltins\neval\n".getBytes(StandardCharsets.UTF_8))), "refused global 'builtins.eval'");
        // STACK_GLOBAL os.system (protocols 4 and 5)
        assertRefused(pickle(p -> {
            p.write(new byte[] {(byte) 0x8c, 2, 'o', 's', (byte) 0x8c, 6, 's', 'y', 's', 't', 'e', 'm', (byte) 0x93});
        }), "refused global 'os.system'");
        // INST and NEWOBJ build arbitrary objects: not allowed at all
        assertRefused(pickle(p -> p.write(new byte[] {'(', 'i'})), "opcode 0x69");
        assertRefused(pickle(p -> p.write(new byte[] {')', ')', (byte) 0x81})), "opcode 0x81");
        // a torch class that is not a storage
        assertRefused(pickle(p -> p.write("ctorch\nload\n".getBytes(StandardCharsets.UTF_8))), "refused global 'torch.load'");
    }

    @Test
    void sizesAreCheckedBeforeAllocating() throws IOException {
        // A storage that claims 2^40 float elements: refused from the record size, nothing allocated.
        Path huge = tensorFile(1L << 40, 0, new long[] {4}, new long[] {1}, 16);
        Pth.FormatException e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(huge));
        assertTrue(e.getMessage().contains("holds 16 bytes, its tensors need 4398046511104"), e.getMessage());
        // A view past its storage's end.
        Path past = tensorFile(4, 1, new long[] {2, 2}, new long[] {2, 1}, 16);
        e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(past));
        assertTrue(e.getMessage().contains("reach element 4 of a storage of 4"), e.getMessage());
        // A view repeating one element 10^8 times (stride 0): refused before 400 MB are allocated.
        Path expanded = tensorFile(4, 0, new long[] {100_000_000}, new long[] {0}, 16);
        e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(expanded));
        assertTrue(e.getMessage().contains("repeats a storage of 4 elements into 100000000"), e.getMessage());
        // A small expansion is a valid tensor.
        Path small = tensorFile(4, 1, new long[] {2, 3}, new long[] {0, 1}, 16);
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, Pth.readStateDict(small).get("w").floats());
        // The same view at offset 0 reads, in C order through the strides (transposed here).
        Path ok = tensorFile(4, 0, new long[] {2, 2}, new long[] {1, 2}, 16);
        assertArrayEquals(new float[] {0, 2, 1, 3}, Pth.readStateDict(ok).get("w").floats());
    }

    @Test
    void legacyAndForeignFilesGetOneClearLine() throws IOException {
        Path legacy = tmp.resolve("legacy.pth");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20});
        Pth.FormatException e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(legacy));
        assertTrue(e.getMessage().contains("legacy PyTorch checkpoint (the pre-1.6 torch.save format"), e.getMessage());
        Path text = tmp.resolve("notes.pth");
        Files.writeString(text, "hello");
        e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(text));
        assertTrue(e.getMessage().endsWith("this file does not start with one)"), e.getMessage());
        Path noState = tmp.resolve("epoch.pth");
        zip(noState, "archive/data.pkl", new byte[] {(byte) 0x80, 2, '}', 'X', 5, 0, 0, 0, 'e', 'p', 'o', 'c', 'h', 'K', 7, 's', '.'});
        e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(noState));
        assertTrue(e.getMessage().contains("no state dict: the top-level dict (keys [epoch])"), e.getMessage());
    }

    @Test
    void dataParallelPrefixIsDropped() throws IOException {
        Path f = tensorFile(4, 0, new long[] {4}, new long[] {1}, 16, "module.w");
        assertEquals(List.of("w"), List.copyOf(Pth.readStateDict(f).keySet()));
    }

    private void assertRefused(Path file, String expected) {
        Pth.FormatException e = assertThrows(Pth.FormatException.class, () -> Pth.readStateDict(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private interface Body {
        void write(OutputStream out) throws IOException;
    }

    private int files;

    /** A zip whose data.pkl is PROTO 2, then {@code body}, then STOP. */
    private Path pickle(Body body) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        body.write(p);
        p.write('.');
        Path f = tmp.resolve("crafted" + files++ + ".pth");
        zip(f, "archive/data.pkl", p.toByteArray());
        return f;
    }

    private Path tensorFile(long numel, long offset, long[] size, long[] stride, int storageBytes) throws IOException {
        return tensorFile(numel, offset, size, stride, storageBytes, "w");
    }

    private Path tensorFile(long numel, long offset, long[] size, long[] stride, int storageBytes, String name)
            throws IOException {
        Path f = tmp.resolve("tensor" + files++ + ".pth");
        write(f, List.of(new Spec(name, numel, offset, size, stride, storageBytes)));
        return f;
    }

    /**
     * One float32 tensor of a hand-made state dict: its own FloatStorage of {@code numel} elements in a
     * record of {@code storageBytes} bytes holding 0, 1, 2, ...; the tensor is (offset, size, stride) on it.
     */
    public record Spec(String name, long numel, long offset, long[] size, long[] stride, int storageBytes) {
        /** A contiguous tensor of this shape. */
        public static Spec contiguous(String name, long... shape) {
            long[] stride = new long[shape.length];
            long n = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = n;
                n *= shape[d];
            }
            return new Spec(name, n, 0, shape, stride, (int) n * 4);
        }
    }

    /** Writes a {name: tensor} dict as torch.save's zip would hold it (protocol 2, one storage per tensor). */
    public static void write(Path file, List<Spec> specs) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2, '}', '('});
        Object[] records = new Object[2 + 2 * specs.size()];
        for (int t = 0; t < specs.size(); t++) {
            Spec s = specs.get(t);
            str(p, s.name());
            p.write("ctorch._utils\n_rebuild_tensor_v2\n(".getBytes(StandardCharsets.UTF_8));
            p.write('(');
            str(p, "storage");
            p.write("ctorch\nFloatStorage\n".getBytes(StandardCharsets.UTF_8));
            str(p, Integer.toString(t));
            str(p, "cpu");
            longOp(p, s.numel());
            p.write(new byte[] {'t', 'Q'});
            longOp(p, s.offset());
            tuple(p, s.size());
            tuple(p, s.stride());
            p.write(new byte[] {(byte) 0x89, 'N', 't', 'R'});
            byte[] storage = new byte[s.storageBytes()];
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(storage).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < storage.length / 4; i++) {
                b.putFloat(i * 4, i);
            }
            records[2 + 2 * t] = "archive/data/" + t;
            records[3 + 2 * t] = storage;
        }
        p.write(new byte[] {'u', '.'});
        records[0] = "archive/data.pkl";
        records[1] = p.toByteArray();
        zip(file, records);
    }

    private static void str(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.writeBytes(new byte[] {(byte) b.length, 0, 0, 0});
        p.writeBytes(b);
    }

    /** LONG1 with 8 bytes, little-endian. */
    private static void longOp(ByteArrayOutputStream p, long v) {
        p.write(0x8a);
        p.write(8);
        for (int i = 0; i < 8; i++) {
            p.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    private static void tuple(ByteArrayOutputStream p, long[] v) {
        p.write('(');
        for (long x : v) {
            longOp(p, x);
        }
        p.write('t');
    }

    private static void zip(Path file, Object... namesAndBytes) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (int i = 0; i < namesAndBytes.length; i += 2) {
                z.putNextEntry(new ZipEntry((String) namesAndBytes[i]));
                z.write((byte[]) namesAndBytes[i + 1]);
                z.closeEntry();
            }
        }
    }
}
