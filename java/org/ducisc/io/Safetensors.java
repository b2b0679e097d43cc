package org.ducisc.io;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.tensor.Tensor;

/**
 * Checkpoints in the safetensors format, so that weights move both ways between this engine
 * and PyTorch: an 8-byte little-endian header length N, N bytes of UTF-8 JSON describing each
 * tensor (dtype, shape, [begin, end) byte offsets relative to the end of the header), then the
 * densely packed little-endian data in C order.
 *
 * <p>Reading maps the file once and validates the whole header before anything is handed out:
 * a damaged file gives a {@link FormatException} naming the file and the problem, never an
 * OutOfMemoryError or a read outside the mapping. Close the reader to unmap the file; tensors
 * it returned are copies and stay valid.
 *
 * <p>Writing is atomic: a temporary file in the target's directory is written, forced to disk
 * and renamed over the target, so a crash or an error leaves either the old file or the new one.
 *
 * <p>Integrity: each tensor's CRC-32C (Castagnoli, RFC 3720; {@link java.util.zip.CRC32C}) over its data
 * bytes is written into {@code __metadata__} as {@code "crc32c.<name>": "<8 hex digits>"}, strings as the
 * format requires, so other readers still load the file. Reading verifies every checksum present and
 * names the tensor that fails; files without checksums (PyTorch's, earlier ones) load unchecked. The
 * checksums are not part of {@link #metadata()}.
 */
public final class Safetensors implements AutoCloseable {
    /** A header longer than this is taken as damage rather than allocated. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final String METADATA_KEY = "__metadata__";
    /** Metadata key prefix of a tensor's CRC-32C. */
    static final String CHECKSUM_PREFIX = "crc32c.";
    private static final String NO_CHECKSUM = "00000000";
    private static final int WRITE_CHUNK = 1 << 26;
    private static final ValueLayout.OfLong LE_LONG = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The element types this engine reads and writes (I64 only for BatchNorm's num_batches_tracked). */
    public enum ElementType {
        F32(4),
        U8(1),
        I64(8);

        private final int itemSize;

        ElementType(int itemSize) {
            this.itemSize = itemSize;
        }

        public int itemSize() {
            return itemSize;
        }

        static ElementType of(DType type) {
            return switch (type) {
                case FLOAT32 -> F32;
                case UINT8 -> U8;
            };
        }
    }

    /** A file whose contents do not follow the format; the message names the file and the problem. */
    public static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(Path file, String problem) {
            super(file + ": " + problem);
        }

        FormatException(Path file, String problem, Throwable cause) {
            super(file + ": " + problem, cause);
        }
    }

    /** One tensor of a file: its byte range is relative to the start of the data area. */
    public record Info(String name, ElementType dtype, long[] shape, long begin, long end) {
        public Info {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long numel() {
            return Arrays.stream(shape).reduce(1L, Math::multiplyExact);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /** A tensor to write: name, type, shape, and a filler that writes exactly its bytes (little-endian). */
    public static final class Entry {
        private final String name;
        private final ElementType dtype;
        private final long[] shape;
        private final long byteSize;
        private final Consumer<MemorySegment> filler;

        private Entry(String name, ElementType dtype, long[] shape, Consumer<MemorySegment> filler) {
            if (name == null || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("Safetensors.Entry: invalid tensor name " + name);
            }
            for (long s : shape) {
                if (s < 0) {
                    throw new IllegalArgumentException("Safetensors.Entry " + name + ": negative size in shape "
                            + Arrays.toString(shape));
                }
            }
            this.name = name;
            this.dtype = dtype;
            this.shape = shape.clone();
            this.byteSize = Math.multiplyExact(Arrays.stream(shape).reduce(1L, Math::multiplyExact), dtype.itemSize());
            this.filler = filler;
        }

        /** The tensor's values (FLOAT32 -> F32, UINT8 -> U8), copied when the file is written. */
        public static Entry of(String name, Tensor t) {
            return new Entry(name, ElementType.of(t.dtype()), t.shape(), t::copyTo);
        }

        public static Entry floats(String name, float[] values, long... shape) {
            Entry e = new Entry(name, ElementType.F32, shape, seg -> MemorySegment.copy(MemorySegment.ofArray(values), 0,
                    seg, 0, seg.byteSize()));
            e.checkCount(values.length);
            return e;
        }

        public static Entry longs(String name, long[] values, long... shape) {
            Entry e = new Entry(name, ElementType.I64, shape, seg -> {
                for (int i = 0; i < values.length; i++) {
                    seg.setAtIndex(LE_LONG, i, values[i]);
                }
            });
            e.checkCount(values.length);
            return e;
        }

        /**
         * Any data: {@code filler} receives a segment of exactly the entry's byte size and must
         * write all of it, little-endian. An exception from it aborts the write.
         */
        public static Entry custom(String name, ElementType dtype, long[] shape, Consumer<MemorySegment> filler) {
            return new Entry(name, dtype, shape, filler);
        }

        public String name() {
            return name;
        }

        private void checkCount(int count) {
            if ((long) count * dtype.itemSize() != byteSize) {
                throw new IllegalArgumentException("Safetensors.Entry " + name + ": " + count
                        + " values do not fill shape " + Arrays.toString(shape));
            }
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, String> metadata;
    private final Map<String, Info> entries;

    private Safetensors(Path file, Arena arena, MemorySegment data, Map<String, String> metadata,
            Map<String, Info> entries) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = Collections.unmodifiableMap(entries);
    }

    // ---- reading ----

    /** Maps and validates {@code file}; the caller closes the result. */
    public static Safetensors read(Path file) throws IOException {
        requireLittleEndianHost();
        if (!java.nio.file.Files.isRegularFile(file)) {
            // Opening a named pipe would block until a writer comes; a device has no size to map.
            throw new FormatException(file, java.nio.file.Files.exists(file) ? "not a regular file (a folder, device or"
                    + " named pipe), expected a checkpoint file" : "file not found");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new FormatException(file, "file has " + size + " bytes, fewer than the 8 of the header length");
            }
            MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = whole.get(LE_LONG, 0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new FormatException(file, "not a safetensors file: the header length in its first 8 bytes, "
                        + Long.toUnsignedString(headerLength) + ", is absurd (limit " + MAX_HEADER_BYTES + ")");
            }
            if (headerLength > size - 8) {
                throw new FormatException(file, "header length " + headerLength + " exceeds the " + (size - 8)
                        + " bytes after the length field");
            }
            byte[] header = whole.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = whole.asSlice(8 + headerLength);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Info> entries = parseHeader(file, header, data.byteSize(), metadata);
            verifyChecksums(file, data, entries, metadata);
            return new Safetensors(file, arena, data, metadata, entries);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Info> parseHeader(Path file, byte[] header, long dataSize, Map<String, String> metadata)
            throws FormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new FormatException(file, "header is not valid UTF-8", e);
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new FormatException(file, "header is not a JSON object");
        }
        Map<String, Info> entries = new LinkedHashMap<>();
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            String name = (String) kv.getKey();
            if (name.equals(METADATA_KEY)) {
                parseMetadata(file, kv.getValue(), metadata);
            } else {
                entries.put(name, parseInfo(file, name, kv.getValue()));
            }
        }
        checkLayout(file, entries.values(), dataSize);
        return entries;
    }

    /** Checks and removes the checksum entries of {@code metadata}; throws naming the first tensor that fails. */
    private static void verifyChecksums(Path file, MemorySegment data, Map<String, Info> entries,
                                        Map<String, String> metadata) throws FormatException {
        var it = metadata.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, String> kv = it.next();
            if (!kv.getKey().startsWith(CHECKSUM_PREFIX)) {
                continue;
            }
            String name = kv.getKey().substring(CHECKSUM_PREFIX.length());
            Info info = entries.get(name);
            if (info == null) {
                throw new FormatException(file, "damaged header: a checksum for tensor \"" + name
                        + "\", which the file does not have");
            }
            String want = kv.getValue();
            String got = crc32c(data.asSlice(info.begin(), info.end() - info.begin()));
            if (!got.equals(want)) {
                throw new FormatException(file, "tensor \"" + name + "\" fails its checksum (crc32c " + got
                        + ", recorded " + want + "): the file is damaged");
            }
            it.remove();
        }
    }

    /** CRC-32C of a segment's bytes, as 8 lowercase hex digits. */
    private static String crc32c(MemorySegment bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        for (long at = 0; at < bytes.byteSize(); at += WRITE_CHUNK) {
            crc.update(bytes.asSlice(at, Math.min(WRITE_CHUNK, bytes.byteSize() - at)).asByteBuffer());
        }
        return String.format(java.util.Locale.ROOT, "%08x", crc.getValue());
    }

    private static void parseMetadata(Path file, Object value, Map<String, String> metadata) throws FormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new FormatException(file, METADATA_KEY + " is not an object");
        }
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            if (!(kv.getValue() instanceof String s)) {
                throw new FormatException(file, METADATA_KEY + " value of \"" + kv.getKey() + "\" is not a string");
            }
            metadata.put((String) kv.getKey(), s);
        }
    }

    private static Info parseInfo(Path file, String name, Object value) throws FormatException {
        String where = "tensor \"" + name + "\"";
        if (!(value instanceof Map<?, ?> map)) {
            throw new FormatException(file, where + " is not an object");
        }
        for (Object key : map.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new FormatException(file, where + " has an unknown field \"" + key + "\"");
            }
        }
        if (!(map.get("dtype") instanceof String dtypeName)) {
            throw new FormatException(file, where + (map.containsKey("dtype") ? " has a dtype that is not a string"
                    : " has no dtype"));
        }
        ElementType dtype;
        try {
            dtype = ElementType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, where + " has unsupported dtype " + dtypeName + " (supported: "
                    + Arrays.toString(ElementType.values()) + ")");
        }
        long[] shape = longArray(file, where, "shape", map.get("shape"), -1);
        long[] offsets = longArray(file, where, "data_offsets", map.get("data_offsets"), 2);
        long bytes;
        try {
            bytes = Math.multiplyExact(Arrays.stream(shape).reduce(1L, Math::multiplyExact), dtype.itemSize());
        } catch (ArithmeticException e) {
            throw new FormatException(file, where + " shape " + Arrays.toString(shape) + " overflows 64 bits");
        }
        if (offsets[1] < offsets[0]) {
            throw new FormatException(file, where + " data_offsets " + Arrays.toString(offsets) + " end before they begin");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw new FormatException(file, where + " data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]) + " bytes, but " + dtype + " " + Arrays.toString(shape) + " needs " + bytes);
        }
        return new Info(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers ({@code length} of them, or any number when -1). */
    private static long[] longArray(Path file, String where, String field, Object value, int length)
            throws FormatException {
        if (value == null) {
            throw new FormatException(file, where + " has no " + field);
        }
        if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw new FormatException(file, where + " " + field + " is not an array of "
                    + (length >= 0 ? length + " " : "") + "integers");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long v)) {
                throw new FormatException(file, where + " " + field + " holds a non-integer");
            }
            if (v < 0) {
                throw new FormatException(file, where + " " + field + " holds the negative value " + v);
            }
            out[i] = v;
        }
        return out;
    }

    /** The tensors must tile the data area exactly, in some order: no gap, no overlap, nothing after. */
    private static void checkLayout(Path file, Collection<Info> infos, long dataSize) throws FormatException {
        List<Info> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(Info::begin).thenComparingLong(Info::end));
        long expected = 0;
        Info previous = null;
        for (Info info : sorted) {
            if (info.end() > dataSize) {
                throw new FormatException(file, "tensor \"" + info.name() + "\" data_offsets [" + info.begin() + ", "
                        + info.end() + ") lie outside the data area of " + dataSize + " bytes");
            }
            if (info.begin() < expected) {
                throw new FormatException(file, "tensors \"" + previous.name() + "\" and \"" + info.name()
                        + "\" overlap (" + previous + ", " + info + ")");
            }
            if (info.begin() > expected) {
                throw new FormatException(file, "gap of " + (info.begin() - expected) + " unused bytes before tensor \""
                        + info.name() + "\" at data offset " + expected);
            }
            expected = info.end();
            previous = info;
        }
        if (expected != dataSize) {
            throw new FormatException(file, "the tensors cover " + expected + " bytes, but the data area has "
                    + dataSize);
        }
    }

    public Path file() {
        return file;
    }

    /** The {@code __metadata__} strings, in file order (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor's description, by name, in header order. */
    public Map<String, Info> entries() {
        return entries;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public Info info(String name) {
        Info info = entries.get(name);
        if (info == null) {
            throw new IllegalArgumentException(file + ": no tensor named \"" + name + "\"");
        }
        return info;
    }

    /** A fresh CPU tensor holding an F32 or U8 entry; a 0-dim entry gives a tensor of shape []. */
    public Tensor tensor(String name) {
        return tensor(name, Device.CPU);
    }

    public Tensor tensor(String name, Device device) {
        Info info = info(name);
        DType type = switch (info.dtype()) {
            case F32 -> DType.FLOAT32;
            case U8 -> DType.UINT8;
            case I64 -> throw new IllegalArgumentException(file + ": tensor \"" + name
                    + "\" is I64; read it with longs()");
        };
        return Tensor.fromHost(device, type, slice(info), info.shape());
    }

    /** The values of an I64 entry, in C order. */
    public long[] longs(String name) {
        Info info = info(name);
        if (info.dtype() != ElementType.I64) {
            throw new IllegalArgumentException(file + ": tensor \"" + name + "\" is " + info.dtype() + ", not I64");
        }
        MemorySegment s = slice(info);
        long[] out = new long[Math.toIntExact(info.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.getAtIndex(LE_LONG, i);
        }
        return out;
    }

    /** The raw little-endian bytes of an entry, read-only, valid until close(). */
    public MemorySegment bytes(String name) {
        return slice(info(name)).asReadOnly();
    }

    private MemorySegment slice(Info info) {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(file + ": read after close()");
        }
        return data.asSlice(info.begin(), info.end() - info.begin());
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    // ---- writing ----

    /**
     * Writes {@code entries} in the given order, with {@code metadata} (omitted when empty), to
     * {@code file} atomically. The header is compact JSON padded with spaces to a multiple of 8
     * bytes, as the reference implementation writes it, so equal inputs give equal bytes. Each
     * tensor's checksum is added to the metadata (keys of {@code metadata} that look like checksums are
     * replaced). On any failure the temporary file is deleted and an existing {@code file} is left as it was.
     */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        requireLittleEndianHost();
        Map<String, String> withChecksums = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (!k.startsWith(CHECKSUM_PREFIX)) {
                withChecksums.put(k, v);
            }
        });
        for (Entry e : entries) {
            withChecksums.put(CHECKSUM_PREFIX + e.name, NO_CHECKSUM);
        }
        // The checksums are known once the data is written: the header goes first with placeholders of
        // the same width and is rewritten in place at the end.
        byte[] header = header(entries, withChecksums);
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "folder does not exist");
        }
        FileBytes.writeAtomicallyTo(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                writeFully(ch, prefix);
                for (Entry e : entries) {
                    withChecksums.put(CHECKSUM_PREFIX + e.name, writeEntry(ch, e));
                }
                byte[] filled = header(entries, withChecksums);
                if (filled.length != header.length) {
                    throw new IllegalStateException("Safetensors.write: header changed length");
                }
                ByteBuffer rewrite = ByteBuffer.wrap(filled);
                long at = 8;
                while (rewrite.hasRemaining()) {
                    at += ch.write(rewrite, at);
                }
                ch.force(true);
            }
        });
    }

    private static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        Map<String, Object> doc = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            doc.put(METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Entry e : entries) {
            if (e.name.equals(METADATA_KEY) || doc.containsKey(e.name)) {
                throw new IllegalArgumentException("Safetensors.write: duplicate tensor name \"" + e.name + "\"");
            }
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype.name());
            info.put("shape", e.shape);
            info.put("data_offsets", new long[] {offset, offset + e.byteSize});
            doc.put(e.name, info);
            offset += e.byteSize;
        }
        byte[] json = Json.write(doc, Json.Layout.COMPACT).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Writes one entry; returns its checksum. The filler needs the whole entry in one segment; the writes go
     * in chunks because a ByteBuffer stops at 2 GiB.
     */
    private static String writeEntry(FileChannel ch, Entry e) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staged = a.allocate(e.byteSize, 64);
            e.filler.accept(staged);
            for (long at = 0; at < e.byteSize; at += WRITE_CHUNK) {
                writeFully(ch, staged.asSlice(at, Math.min(WRITE_CHUNK, e.byteSize - at)).asByteBuffer());
            }
            return crc32c(staged);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Tensor.fromHost copies raw bytes, which are little-endian in a file and native in a tensor. */
    private static void requireLittleEndianHost() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("Safetensors: big-endian hosts are not supported");
        }
    }
}
