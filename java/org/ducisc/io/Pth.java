package org.ducisc.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.ducisc.io.TorchUnpickler.PickleException;
import org.ducisc.io.TorchUnpickler.StorageRef;
import org.ducisc.io.TorchUnpickler.StorageType;
import org.ducisc.io.TorchUnpickler.TensorRef;

/**
 * PyTorch checkpoints ({@code .pth}, {@code .pt}) in the zip format {@code torch.save} has written
 * since PyTorch 1.6 (torch/serialization.py): records {@code <archive>/data.pkl} (the pickled
 * object), {@code <archive>/data/<key>} (one raw storage each, little-endian unless
 * {@code <archive>/byteorder} says "big") and {@code <archive>/version}. The pickle is read by
 * {@link TorchUnpickler}, which executes nothing and refuses any global but tensors, storages and
 * ordered dicts, as {@code torch.load(weights_only=True)} does. The legacy (pre-1.6, non-zip)
 * format is refused with a message saying how to re-save it.
 *
 * <p>The state dict is the top-level dict when its values are all tensors, else the first of
 * {@link #STATE_DICT_KEYS} in the top-level dict that holds one (training checkpoints often
 * save {@code {"epoch": ..., "model": state_dict, "optimizer": ...}}); a {@code module.} prefix
 * on every key ({@code nn.DataParallel}'s) is dropped. Tensors may be float32, float16, bfloat16
 * or float64 (read as float32) or int64/int32 (read as int64), with any strides (non-negative),
 * storage offset and storages shared between tensors.
 *
 * <p>Sizes are checked before anything is allocated: the pickle and each storage against the
 * archive's record sizes, which are checked against the file's length, each tensor's extent
 * against its storage, and a view that repeats its storage (zero strides) against the file's length;
 * each record's CRC-32 is verified. A truncated or corrupt file gives a
 * {@link FormatException} with one line naming the file and the problem.
 */
public final class Pth {
    /** Keys under which training scripts commonly store the state dict, in the order tried. */
    public static final List<String> STATE_DICT_KEYS = List.of("state_dict", "model_state_dict", "model", "net",
            "network", "model_state", "student", "weights", "params");

    /** Largest record read (the JVM's array limit); larger storages are refused. */
    private static final long MAX_RECORD = Integer.MAX_VALUE - 8;
    /** Deflate cannot expand data more than about 1032 times. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /** A malformed or refused file; the message is one line naming the file. */
    public static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        public FormatException(Path file, String message) {
            super(file + ": " + message);
        }
    }

    /**
     * One tensor of a state dict, in C order (last axis fastest): floating types as float32
     * ({@link #floats}, {@link #longs} null), integer types as int64 ({@link #longs}, {@link #floats} null).
     *
     * @param dtype the stored PyTorch type: float32, float16, bfloat16, float64, int64 or int32
     */
    public record Array(String name, String dtype, long[] shape, float[] floats, long[] longs) {
        public Array {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public boolean isInteger() {
            return longs != null;
        }
    }

    private Pth() {
    }

    /**
     * True when {@code file} is a regular file that starts like a zip archive (the format {@code torch.save}
     * writes); false for anything else, including a missing file, a folder or a named pipe (never opened).
     */
    public static boolean isZip(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        }
    }

    /**
     * Reads the state dict of a {@code torch.save} file, in its order.
     *
     * @throws FormatException for a file that is not a torch.save zip, is truncated or corrupt, holds a
     *                         refused global, or holds no state dict
     */
    public static LinkedHashMap<String, Array> readStateDict(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FormatException(file, "file not found");
        }
        if (!isZip(file)) {
            throw new FormatException(file, notZip(file));
        }
        long fileSize = Files.size(file);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(file, zip);
            Object root;
            try {
                root = TorchUnpickler.load(record(file, zip, prefix + "data.pkl", fileSize, -1));
            } catch (PickleException e) {
                throw new FormatException(file, e.getMessage());
            }
            ByteOrder order = byteOrder(file, zip, prefix, fileSize);
            Map<?, ?> state = stateDict(file, root);
            boolean strip = !state.isEmpty() && state.keySet().stream().allMatch(k -> k.toString().startsWith("module."));
            Map<String, ByteBuffer> storages = new HashMap<>();
            LinkedHashMap<String, Array> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : state.entrySet()) {
                String name = strip ? e.getKey().toString().substring("module.".length()) : e.getKey().toString();
                TensorRef t = (TensorRef) e.getValue();
                ByteBuffer storage = storages.get(t.storage().key());
                if (storage == null) {
                    long bytes = Math.multiplyExact(t.storage().numel(), (long) t.storage().type().itemSize);
                    storage = ByteBuffer.wrap(record(file, zip, prefix + "data/" + t.storage().key(), fileSize, bytes))
                            .order(order);
                    storages.put(t.storage().key(), storage);
                }
                out.put(name, materialize(file, name, t, storage, fileSize));
            }
            return out;
        } catch (ZipException e) {
            throw new FormatException(file, "not a readable zip archive (" + e.getMessage() + "): truncated or corrupt");
        } catch (ArithmeticException e) {
            throw new FormatException(file, "a storage size overflows 64 bits");
        }
    }

    private static String notZip(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(512);
        }
        if (head.length > 0 && (head[0] & 0xff) == 0x80) {
            return "legacy PyTorch checkpoint (the pre-1.6 torch.save format, not a zip archive), which is not read;"
                    + " re-save it in PyTorch 1.6 or later: torch.save(torch.load(f, weights_only=True), f2)";
        }
        if (head.length > 262 && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
            return "legacy PyTorch checkpoint (the tar format of PyTorch before 0.4), which is not read;"
                    + " re-save it in PyTorch 1.6 or later: torch.save(torch.load(f), f2)";
        }
        return "not a PyTorch checkpoint (torch.save writes a zip archive; this file does not start with one)";
    }

    /** The archive's top folder, from its one {@code <archive>/data.pkl} record. */
    private static String archivePrefix(Path file, ZipFile zip) throws FormatException {
        String prefix = null;
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String n = en.nextElement().getName();
            if (n.equals("data.pkl") || n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                if (prefix != null) {
                    throw new FormatException(file, "the archive holds two data.pkl records");
                }
                prefix = n.substring(0, n.length() - "data.pkl".length());
            }
        }
        if (prefix == null) {
            throw new FormatException(file, "a zip archive without data.pkl: not written by torch.save");
        }
        return prefix;
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, String prefix, long fileSize) throws IOException {
        if (zip.getEntry(prefix + "byteorder") == null) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        String s = new String(record(file, zip, prefix + "byteorder", fileSize, -1), StandardCharsets.US_ASCII).strip();
        return switch (s) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new FormatException(file, "byteorder record says '" + s + "'");
        };
    }

    /**
     * The bytes of one record, after checking its size against the file (and against {@code need}
     * bytes, when not negative: a storage shorter than its elements is refused) and its CRC-32.
     */
    private static byte[] record(Path file, ZipFile zip, String name, long fileSize, long need) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new FormatException(file, "record " + name + " is missing");
        }
        long size = e.getSize();
        long packed = e.getCompressedSize();
        long limit = e.getMethod() == ZipEntry.STORED ? fileSize : Math.min(MAX_RECORD, Math.max(packed, 0) * MAX_DEFLATE_RATIO);
        if (size < 0 || size > limit || size > MAX_RECORD || packed > fileSize) {
            throw new FormatException(file, "record " + name + " claims " + size + " bytes in a file of " + fileSize);
        }
        if (need >= 0 && need > size) {
            throw new FormatException(file, "record " + name + " holds " + size + " bytes, its tensors need " + need);
        }
        byte[] b;
        try (InputStream in = zip.getInputStream(e)) {
            b = in.readNBytes((int) size);
            if (b.length != size) {
                throw new FormatException(file, "record " + name + " ends after " + b.length + " of " + size + " bytes");
            }
        }
        if (e.getCrc() != -1) {
            CRC32 crc = new CRC32();
            crc.update(b);
            if (crc.getValue() != e.getCrc()) {
                throw new FormatException(file, "record " + name + " is corrupt (CRC-32 mismatch)");
            }
        }
        return b;
    }

    /** The state dict inside the unpickled object: itself, or under one of the common keys. */
    private static Map<?, ?> stateDict(Path file, Object root) throws FormatException {
        if (!(root instanceof Map<?, ?> top)) {
            throw new FormatException(file, "holds " + TorchUnpickler.describe(root) + ", not a state dict");
        }
        if (isStateDict(top)) {
            return top;
        }
        for (String key : STATE_DICT_KEYS) {
            if (top.get(key) instanceof Map<?, ?> inner && isStateDict(inner)) {
                return inner;
            }
        }
        List<String> keys = new ArrayList<>();
        for (Object k : top.keySet()) {
            if (keys.size() == 12) {
                keys.add("...");
                break;
            }
            keys.add(String.valueOf(k));
        }
        throw new FormatException(file, "no state dict: the top-level dict (keys " + keys + ") neither holds only tensors"
                + " nor holds a dict of tensors under " + String.join(", ", STATE_DICT_KEYS));
    }

    private static boolean isStateDict(Map<?, ?> m) {
        return !m.isEmpty() && m.entrySet().stream().allMatch(e -> e.getKey() instanceof String
                && e.getValue() instanceof TensorRef);
    }

    /** Copies a (possibly strided, offset, shared) tensor out of its storage into C order. */
    private static Array materialize(Path file, String name, TensorRef t, ByteBuffer storage, long fileSize)
            throws FormatException {
        long[] size = t.size();
        long[] stride = t.stride();
        long numel = 1;
        long last = t.offset();
        for (int d = 0; d < size.length; d++) {
            if (size[d] < 0 || stride[d] < 0) {
                throw new FormatException(file, name + ": negative size or stride " + Arrays.toString(size) + " / "
                        + Arrays.toString(stride));
            }
            numel = Math.multiplyExact(numel, size[d]);
            if (size[d] > 0) {
                last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
            }
        }
        StorageRef s = t.storage();
        if (numel > 0 && (t.offset() < 0 || last >= s.numel())) {
            throw new FormatException(file, name + ": shape " + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                    + " and offset " + t.offset() + " reach element " + last + " of a storage of " + s.numel());
        }
        if (numel > s.numel() && numel > fileSize) {
            // Only zero or overlapping strides (an expanded view) make more elements than the storage holds.
            throw new FormatException(file, name + ": shape " + Arrays.toString(size) + " with stride " + Arrays.toString(stride)
                    + " repeats a storage of " + s.numel() + " elements into " + numel + ", more than the file's "
                    + fileSize + " bytes could hold");
        }
        if (numel > MAX_RECORD) {
            throw new FormatException(file, name + ": " + numel + " elements is more than one array can hold");
        }
        int n = (int) numel;
        StorageType type = s.type();
        float[] floats = type.isInteger() ? null : new float[n];
        long[] longs = type.isInteger() ? new long[n] : null;
        int[] index = new int[size.length];
        long at = t.offset();
        for (int i = 0; i < n; i++) {
            int b = (int) (at * type.itemSize);
            switch (type) {
                case FLOAT -> floats[i] = storage.getFloat(b);
                case HALF -> floats[i] = Float.float16ToFloat(storage.getShort(b));
                case BFLOAT16 -> floats[i] = Float.intBitsToFloat((storage.getShort(b) & 0xffff) << 16);
                case DOUBLE -> floats[i] = (float) storage.getDouble(b);
                case LONG -> longs[i] = storage.getLong(b);
                case INT -> longs[i] = storage.getInt(b);
            }
            for (int d = size.length - 1; d >= 0; d--) { // odometer over the axes, last fastest
                at += stride[d];
                if (++index[d] < size[d]) {
                    break;
                }
                at -= stride[d] * size[d];
                index[d] = 0;
            }
        }
        String dtype = switch (type) {
            case FLOAT -> "float32";
            case HALF -> "float16";
            case BFLOAT16 -> "bfloat16";
            case DOUBLE -> "float64";
            case LONG -> "int64";
            case INT -> "int32";
        };
        return new Array(name, dtype, size, floats, longs);
    }
}
