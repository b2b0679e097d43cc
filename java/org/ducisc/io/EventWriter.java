package org.ducisc.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Scalars for TensorBoard: an {@code events.out.tfevents.*} file of TFRecords, each holding one
 * serialised {@code Event} protobuf. Only the few fields scalars need are written, by hand:
 * <pre>
 * Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 * Summary { repeated Value value = 1; }
 * Value   { string tag = 1; float simple_value = 2; }
 * </pre>
 * A TFRecord is: uint64 length, uint32 masked CRC32C of those 8 bytes, the data, uint32 masked
 * CRC32C of the data, all little-endian. Each resumed session starts a file of its own, as
 * TensorBoard's writers do.
 */
public final class EventWriter implements AutoCloseable {
    static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final OutputStream out;

    /** Creates a new events file in {@code dir} and writes its version record. */
    public EventWriter(Path dir) throws IOException {
        String base = "events.out.tfevents." + System.currentTimeMillis() / 1000 + "." + host() + "."
                + ProcessHandle.current().pid();
        Path f = dir.resolve(base);
        for (int n = 1; Files.exists(f); n++) {
            f = dir.resolve(base + "." + n);
        }
        this.file = f;
        this.out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        wallTime(event);
        bytesField(event, 3, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
        record(event.toByteArray());
    }

    public Path file() {
        return file;
    }

    /** One event at {@code step} with a value per tag; non-finite values are left out. */
    public void scalars(long step, Map<String, Double> values) throws IOException {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            if (!Double.isFinite(e.getValue())) {
                continue;
            }
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            bytesField(value, 1, e.getKey().getBytes(StandardCharsets.UTF_8));
            value.write(2 << 3 | 5); // fixed32
            value.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(e.getValue().floatValue()).array());
            bytesField(summary, 1, value.toByteArray());
        }
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        wallTime(event);
        event.write(2 << 3); // varint
        varint(event, step);
        bytesField(event, 5, summary.toByteArray());
        record(event.toByteArray());
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** TensorBoard's CRC mask: rotate right by 15 bits and add a constant. */
    static int maskedCrc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private void record(byte[] data) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(data.length);
        head.putInt(maskedCrc(head.array(), 0, 8));
        out.write(head.array());
        out.write(data);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(data, 0, data.length)).array());
    }

    private static void wallTime(ByteArrayOutputStream event) {
        event.write(1 << 3 | 1); // fixed64
        event.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(System.currentTimeMillis() / 1000.0).array());
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        out.write(field << 3 | 2); // length-delimited
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** From the environment: InetAddress.getLocalHost can wait seconds on a badly configured resolver. */
    private static String host() {
        String h = System.getenv("HOSTNAME");
        return h == null || h.isBlank() ? "localhost" : h.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
