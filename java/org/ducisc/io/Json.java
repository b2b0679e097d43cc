package org.ducisc.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.PrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON, written and read. Every JSON the engine writes goes through {@link #write} (jackson-core's
 * generator). {@link #parse} reads what a safetensors header needs, strictly: objects (key order kept, duplicate keys
 * rejected), arrays, strings with all escapes, and integers that fit a long. Anything else
 * (fractions, exponents, true/false/null, nesting deeper than {@link #MAX_DEPTH}) is an error,
 * so a damaged header fails here instead of being half understood.
 */
public final class Json {
    /** Deep enough for any header; shallow enough that a hostile one cannot overflow the stack. */
    static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /**
     * The value of a whole document: {@code Map<String, Object>} (insertion ordered),
     * {@code List<Object>}, {@code String} or {@code Long}.
     *
     * @throws IllegalArgumentException naming the character offset and the problem
     */
    static Object parse(String text) {
        Json p = new Json(text);
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected " + p.describe() + " after the document");
        }
        return v;
    }

    /**
     * A JSON document written by anyone else (a data set's {@code dataset.json}, say), read by jackson-core's
     * parser with the full grammar: {@code Map<String, Object>} (insertion ordered; a repeated key keeps its
     * last value, as Python's json does), {@code List<Object>}, {@code String}, {@code Long} (integers that
     * fit), {@code Double} (other numbers), {@code Boolean}, or {@code null}. Unlike {@link #parse}, which
     * reads our own safetensors headers strictly, this accepts every valid document.
     *
     * @throws IllegalArgumentException for text that is not one JSON document, with jackson's description
     *     and the line and column where it stops making sense
     */
    public static Object read(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("empty document, expected JSON");
            }
            Object value = readValue(p, 0);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("unexpected " + p.currentToken().asString() + " after the document at line "
                        + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr());
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String source does no I/O
        }
    }

    private static Object readValue(JsonParser p, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nesting deeper than " + MAX_DEPTH + " levels at line "
                    + p.currentLocation().getLineNr());
        }
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    map.put(key, readValue(p, depth + 1));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(readValue(p, depth + 1));
                }
                return list;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) p.getDoubleValue()
                        : (Object) p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IllegalArgumentException("unexpected " + t + " at line " + p.currentLocation().getLineNr());
        }
    }

    /**
     * How {@link #write} lays a document out: {@code COMPACT} has no spaces at all (a safetensors header,
     * as the reference writes it); {@code ONE_LINE} puts {@code ": "} after keys and {@code ", "} between
     * members (the metrics line); {@code INDENTED} puts each member of the outer object on its own line,
     * indented by two spaces, and each object of an outer member's array on its own line, indented by
     * four; everything deeper stays on one line (config.json, test reports).
     */
    public enum Layout { COMPACT, ONE_LINE, INDENTED }

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    /**
     * {@code value} as a JSON document, written by jackson-core, so every string is escaped by the JSON
     * rules (RFC 8259: quote, backslash and all control characters; other characters as UTF-8 text).
     * Values: {@code Map} (keys as strings, in iteration order), {@code List}, {@code int[]}, {@code long[]},
     * {@code double[]}, {@code String}, {@code Boolean}, integral {@code Number}s, {@code Float} and
     * {@code Double} (non-finite ones as {@code null}, as standard JSON has no NaN), {@code null};
     * anything else is written as its {@code toString()}.
     */
    public static String write(Object value, Layout layout) {
        StringWriter out = new StringWriter();
        Printer printer = layout == Layout.COMPACT ? null : new Printer();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.setPrettyPrinter(printer);
            writeValue(g, printer, value, layout == Layout.INDENTED ? 0 : -1);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /** {@code depth}: nesting level where INDENTED breaks lines (0 = the root), -1 = never. */
    private static void writeValue(JsonGenerator g, Printer p, Object v, int depth) throws IOException {
        int inner = depth < 0 ? -1 : depth + 1;
        switch (v) {
            case null -> g.writeNull();
            case Map<?, ?> m -> {
                boolean broken = depth == 0;
                if (p != null) {
                    p.open(broken);
                }
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    writeValue(g, p, e.getValue(), inner);
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                boolean broken = depth == 1 && l.stream().anyMatch(o -> o instanceof Map);
                if (p != null) {
                    p.open(broken);
                }
                g.writeStartArray();
                for (Object o : l) {
                    writeValue(g, p, o, inner);
                }
                g.writeEndArray();
            }
            case int[] a -> {
                if (p != null) {
                    p.open(false);
                }
                g.writeArray(a, 0, a.length);
            }
            case long[] a -> {
                if (p != null) {
                    p.open(false);
                }
                g.writeArray(a, 0, a.length);
            }
            case double[] a -> {
                if (p != null) {
                    p.open(false);
                }
                g.writeStartArray();
                for (double d : a) {
                    writeValue(g, p, d, inner);
                }
                g.writeEndArray();
            }
            case Double d -> {
                if (Double.isFinite(d)) {
                    g.writeNumber(d);
                } else {
                    g.writeNull();
                }
            }
            case Float f -> writeValue(g, p, f.doubleValue(), depth);
            case Long n -> g.writeNumber(n);
            case Integer n -> g.writeNumber(n);
            case Short n -> g.writeNumber(n);
            case Byte n -> g.writeNumber(n);
            case Boolean b -> g.writeBoolean(b);
            default -> g.writeString(v.toString());
        }
    }

    /**
     * Whitespace for {@link Layout#ONE_LINE} and {@link Layout#INDENTED}: {@link #writeValue} says, just
     * before each container starts, whether its members go on their own lines.
     */
    private static final class Printer implements PrettyPrinter {
        private final Deque<Boolean> broken = new ArrayDeque<>();
        private boolean next;

        void open(boolean lines) {
            next = lines;
        }

        private void start(JsonGenerator g, char c) throws IOException {
            broken.push(next);
            next = false;
            g.writeRaw(c);
        }

        private void newline(JsonGenerator g) throws IOException {
            g.writeRaw('\n');
            for (int i = 0; i < broken.size(); i++) {
                g.writeRaw("  ");
            }
        }

        private void separator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            if (broken.peek()) {
                newline(g);
            } else {
                g.writeRaw(' ');
            }
        }

        private void end(JsonGenerator g, int entries, char c) throws IOException {
            boolean lines = broken.pop();
            if (lines && entries > 0) {
                newline(g);
            }
            g.writeRaw(c);
        }

        private void first(JsonGenerator g) throws IOException {
            if (broken.peek()) {
                newline(g);
            }
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(' ');
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            start(g, '{');
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            end(g, entries, '}');
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            separator(g);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            start(g, '[');
        }

        @Override
        public void writeEndArray(JsonGenerator g, int values) throws IOException {
            end(g, values, ']');
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            separator(g);
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            first(g);
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            first(g);
        }
    }

    private Object value(int depth) {
        if (pos >= text.length()) {
            throw error("unexpected end of the document");
        }
        char c = text.charAt(pos);
        if (c == '{' || c == '[') {
            if (depth >= MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH);
            }
            return c == '{' ? object(depth + 1) : array(depth + 1);
        }
        if (c == '"') {
            return string();
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return integer();
        }
        throw error("unexpected " + describe() + " where a value should start");
    }

    private Map<String, Object> object(int depth) {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a string key, found " + describe());
            }
            int keyAt = pos;
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            Object v = value(depth);
            if (map.putIfAbsent(key, v) != null) {
                pos = keyAt;
                throw error("duplicate key \"" + key + "\"");
            }
            skipSpace();
            char c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in an object, found " + describe());
            }
        }
    }

    private List<Object> array(int depth) {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipSpace();
            list.add(value(depth));
            skipSpace();
            char c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in an array, found " + describe());
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(unicodeEscape());
                default -> {
                    pos--;
                    throw error("invalid escape \\" + e);
                }
            }
        }
    }

    /** After "\\u": one BMP character or a surrogate pair written as two escapes; a lone half is an error. */
    private char[] unicodeEscape() {
        char first = hex4();
        if (Character.isLowSurrogate(first)) {
            throw error("unpaired low surrogate \\u" + Integer.toHexString(first));
        }
        if (!Character.isHighSurrogate(first)) {
            return new char[] {first};
        }
        if (!text.startsWith("\\u", pos)) {
            throw error("unpaired high surrogate \\u" + Integer.toHexString(first));
        }
        pos += 2;
        char second = hex4();
        if (!Character.isLowSurrogate(second)) {
            throw error("unpaired high surrogate \\u" + Integer.toHexString(first));
        }
        return new char[] {first, second};
    }

    private char hex4() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos), 16);
            if (d < 0) {
                throw error("invalid hex digit " + describe() + " in a \\u escape");
            }
            v = v * 16 + d;
            pos++;
        }
        return (char) v;
    }

    private Long integer() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        int digits = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == digits) {
            throw error("expected a digit, found " + describe());
        }
        if (text.charAt(digits) == '0' && pos - digits > 1) {
            pos = digits;
            throw error("leading zero in a number");
        }
        char next = peek();
        if (next == '.' || next == 'e' || next == 'E') {
            throw error("only integers are supported, found " + describe());
        }
        String literal = text.substring(start, pos);
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("integer " + abbreviate(literal) + " does not fit 64 bits");
        }
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** The current character, or 0 at the end (0 is never valid where peek is used). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "', found " + describe());
        }
        pos++;
    }

    private String describe() {
        if (pos >= text.length()) {
            return "end of the document";
        }
        char c = text.charAt(pos);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("character U+%04X", (int) c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private IllegalArgumentException error(String problem) {
        return new IllegalArgumentException("JSON offset " + pos + ": " + problem);
    }
}
