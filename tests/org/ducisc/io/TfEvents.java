package org.ducisc.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * An independent reader of TensorBoard event files for tests: checks both CRCs of every record
 * (masking done here in long arithmetic, from TensorFlow's definition) and decodes the Event,
 * Summary and Value messages with a generic protobuf wire-format walker, skipping unknown fields.
 */
public final class TfEvents {
    public record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars) {
    }

    private TfEvents() {
    }

    public static long masked(byte[] data, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(data, offset, length);
        long crc = c.getValue();
        long rotated = ((crc >>> 15) | (crc << 17)) & 0xFFFFFFFFL;
        return (rotated + 0xa282ead8L) & 0xFFFFFFFFL;
    }

    public static List<Event> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            int start = b.position();
            long length = b.getLong();
            long lengthCrc = b.getInt() & 0xFFFFFFFFL;
            if (lengthCrc != masked(all, start, 8)) {
                throw new IOException("length CRC mismatch at byte " + start);
            }
            int dataStart = b.position();
            b.position(dataStart + (int) length);
            long dataCrc = b.getInt() & 0xFFFFFFFFL;
            if (dataCrc != masked(all, dataStart, (int) length)) {
                throw new IOException("data CRC mismatch at byte " + dataStart);
            }
            events.add(event(ByteBuffer.wrap(all, dataStart, (int) length).slice().order(ByteOrder.LITTLE_ENDIAN)));
        }
        return events;
    }

    private static Event event(ByteBuffer m) {
        double wall = Double.NaN;
        long step = 0;
        String version = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        while (m.hasRemaining()) {
            long key = varint(m);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 1) {
                wall = m.getDouble();
            } else if (field == 2 && wire == 0) {
                step = varint(m);
            } else if (field == 3 && wire == 2) {
                version = new String(bytes(m), StandardCharsets.UTF_8);
            } else if (field == 5 && wire == 2) {
                ByteBuffer summary = ByteBuffer.wrap(bytes(m)).order(ByteOrder.LITTLE_ENDIAN);
                while (summary.hasRemaining()) {
                    long k = varint(summary);
                    ByteBuffer value = ByteBuffer.wrap(bytes(summary)).order(ByteOrder.LITTLE_ENDIAN);
                    if (k != (1 << 3 | 2)) {
                        throw new IllegalStateException("unexpected Summary field key " + k);
                    }
                    String tag = null;
                    float v = Float.NaN;
                    while (value.hasRemaining()) {
                        long vk = varint(value);
                        if (vk == (1 << 3 | 2)) {
                            tag = new String(bytes(value), StandardCharsets.UTF_8);
                        } else if (vk == (2 << 3 | 5)) {
                            v = value.getFloat();
                        } else {
                            throw new IllegalStateException("unexpected Value field key " + vk);
                        }
                    }
                    scalars.put(tag, v);
                }
            } else {
                throw new IllegalStateException("unexpected Event field " + field + " wire type " + wire);
            }
        }
        return new Event(wall, step, version, scalars);
    }

    private static byte[] bytes(ByteBuffer m) {
        byte[] out = new byte[(int) varint(m)];
        m.get(out);
        return out;
    }

    private static long varint(ByteBuffer m) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = m.get();
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
    }
}
