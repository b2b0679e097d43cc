package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {
    /** Every char from 0 to 0x2FF and a few surrogate pairs, in random strings: written, read back equal. */
    @Test
    void everyStringSurvivesEveryLayout() {
        long seed = 20261129L;
        Random r = new Random(seed);
        for (int n = 0; n < 200; n++) {
            StringBuilder b = new StringBuilder();
            int len = r.nextInt(23);
            for (int i = 0; i < len; i++) {
                if (r.nextInt(10) == 0) {
                    b.appendCodePoint(0x1F600 + r.nextInt(50));
                } else {
                    b.append((char) r.nextInt(0x300));
                }
            }
            String s = b.toString();
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put(s, s);
            doc.put("list", List.of(s, 7L));
            for (Json.Layout layout : Json.Layout.values()) {
                Object back = Json.parse(Json.write(doc, layout));
                Map<String, Object> expected = new LinkedHashMap<>();
                expected.put(s, s);
                expected.put("list", List.of(s, 7L));
                assertEquals(expected, back, "seed " + seed + ", layout " + layout + ", string #" + n);
            }
        }
    }

    @Test
    void layoutsAndNonFiniteNumbers() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("a", new int[] {1, 2});
        doc.put("x", Double.NaN);
        doc.put("rows", List.of(Map.of("k", 0.5), Map.of("k", Double.POSITIVE_INFINITY)));
        doc.put("empty", List.of());
        assertEquals("{\"a\":[1,2],\"x\":null,\"rows\":[{\"k\":0.5},{\"k\":null}],\"empty\":[]}",
                Json.write(doc, Json.Layout.COMPACT));
        assertEquals("{\"a\": [1, 2], \"x\": null, \"rows\": [{\"k\": 0.5}, {\"k\": null}], \"empty\": []}",
                Json.write(doc, Json.Layout.ONE_LINE));
        assertEquals("{\n  \"a\": [1, 2],\n  \"x\": null,\n  \"rows\": [\n    {\"k\": 0.5},\n    {\"k\": null}\n  ],\n"
                + "  \"empty\": []\n}", Json.write(doc, Json.Layout.INDENTED));
    }

    /** What other tools write (floats, exponents, booleans, null, escapes, big integers) reads back as plain values. */
    @Test
    void readsDocumentsOthersWrite() {
        Object doc = Json.read("{\"a\": 1.5e2, \"b\": [true, false, null], \"c\": \"x\\ty\\u00e9\", \"n\": -7,"
                + " \"big\": 123456789012345678901234, \"c\": \"last\"}");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", 150.0);
        expected.put("b", java.util.Arrays.asList(true, false, null));
        expected.put("c", "last");
        expected.put("n", -7L);
        expected.put("big", 1.2345678901234568e23);
        assertEquals(expected, doc);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.read("{\"a\": [1,\n 2,]}"));
        assertTrue(e.getMessage().startsWith("not valid JSON: ") && e.getMessage().contains("line 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.read("{} []"));
        assertTrue(e.getMessage().contains("after the document"), e.getMessage());
    }
}
