package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventWriterTest {
    @TempDir
    Path dir;

    @Test
    void crcIsCastagnoli() {
        CRC32C c = new CRC32C();
        c.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, c.getValue(), "the standard CRC-32C check value");
        byte[] data = "tfrecord".getBytes(StandardCharsets.US_ASCII);
        assertEquals(TfEvents.masked(data, 0, data.length), EventWriter.maskedCrc(data, 0, data.length) & 0xFFFFFFFFL);
    }

    @Test
    void writtenScalarsDecode() throws IOException {
        long before = System.currentTimeMillis() / 1000;
        Path file;
        try (EventWriter w = new EventWriter(dir)) {
            file = w.file();
            Map<String, Double> first = new LinkedHashMap<>();
            first.put("loss/total", 0.75);
            first.put("loss/cons", Double.NaN);
            first.put("threshold/fg_3", 0.5123456789);
            w.scalars(1, first);
            w.scalars(300_000_000_000L, Map.of("val/dice", -2.5e-7));
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        List<TfEvents.Event> events = TfEvents.read(file);
        assertEquals(3, events.size());
        assertEquals(EventWriter.FILE_VERSION, events.get(0).fileVersion());
        assertTrue(events.get(0).wallTime() >= before && events.get(0).wallTime() <= before + 60);
        assertEquals(1, events.get(1).step());
        assertEquals(Map.of("loss/total", 0.75f, "threshold/fg_3", (float) 0.5123456789), events.get(1).scalars(),
                "NaN terms are left out");
        assertEquals(300_000_000_000L, events.get(2).step(), "a step past 2^32 takes a multi-byte varint");
        assertEquals(Map.of("val/dice", -2.5e-7f), events.get(2).scalars());
    }

    @Test
    void aFlippedBitIsCaught() throws IOException {
        Path file;
        try (EventWriter w = new EventWriter(dir)) {
            file = w.file();
            w.scalars(7, Map.of("lr", 0.01));
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 6] ^= 1;
        Files.write(file, bytes);
        assertThrows(IOException.class, () -> TfEvents.read(file), "the decoder really checks the data CRC");
    }
}
