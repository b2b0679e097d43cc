package org.ducisc.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON a safetensors header needs, strictly: objects (key order kept, duplicate keys
 * rejected), arrays, strings with all escapes, and integers that fit a long. Anything else
 * (fractions, exponents, true/false/null, nesting deeper than {@link #MAX_DEPTH}) is an error,
 * so a damaged header fails here instead of being half understood.
 */
final class Json {
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

    /** Appends {@code s} as a JSON string, escaped as Python's json.dumps(ensure_ascii=False) does. */
    static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
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
