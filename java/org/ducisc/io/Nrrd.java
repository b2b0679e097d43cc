package org.ducisc.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.ducisc.core.Sizes;

/**
 * Reads 3D NRRD files (the LA challenge's {@code lgemri.nrrd} and {@code laendo.nrrd}): types
 * uchar, char, short, ushort, int, uint, float, double; raw or gzip encoding; data attached after
 * the header or in one detached {@code data file}. NRRD's first axis is the fastest in the file;
 * voxel (i, j, k) becomes element [i][j][k] of the {@link Volume}, as pynrrd's default order gives.
 * The affine comes from {@code space directions} and {@code space origin}, converted to RAS (like
 * NIfTI) when the space is left-posterior-superior; spacing from their lengths or {@code spacings}.
 */
public final class Nrrd {
    private static final int MAX_HEADER = 1 << 16;

    private Nrrd() {}

    public static Volume read(Path file) throws IOException {
        byte[] bytes = FileBytes.readAll(file);
        if (bytes.length < 8 || !new String(bytes, 0, 7, StandardCharsets.US_ASCII).equals("NRRD000")) {
            throw new VolumeFormatException(file, "not a NRRD file (no NRRD000x magic)");
        }
        int end = headerEnd(bytes);
        if (end < 0) {
            throw new VolumeFormatException(file, "NRRD header has no blank line ending it within "
                    + Math.min(bytes.length, MAX_HEADER) + " bytes (truncated file?)");
        }
        Map<String, String> fields = new HashMap<>();
        String[] lines = new String(bytes, 0, end, StandardCharsets.ISO_8859_1).split("\r?\n");
        for (int n = 1; n < lines.length; n++) {
            String line = lines[n];
            if (line.startsWith("#") || line.isBlank() || line.contains(":=")) {
                continue;
            }
            int colon = line.indexOf(": ");
            if (colon < 0) {
                throw new VolumeFormatException(file, "NRRD header line " + (n + 1) + " is not 'field: value': " + clip(line));
            }
            fields.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 2).trim());
        }
        int dimension = parseInt(file, require(file, fields, "dimension"), "dimension");
        if (dimension != 3) {
            throw new VolumeFormatException(file, "dimension " + dimension + ": only 3D volumes are supported");
        }
        String[] sizeText = require(file, fields, "sizes").split("\\s+");
        if (sizeText.length != 3) {
            throw new VolumeFormatException(file, "sizes must list 3 numbers, got '" + fields.get("sizes") + "'");
        }
        int[] shape = new int[3];
        for (int a = 0; a < 3; a++) {
            shape[a] = parseInt(file, sizeText[a], "sizes");
            if (shape[a] < 1) {
                throw new VolumeFormatException(file, "sizes '" + fields.get("sizes") + "' must be positive");
            }
        }
        String type = require(file, fields, "type").toLowerCase(Locale.ROOT).replace("_t", "");
        int bpv = switch (type) {
            case "uchar", "unsigned char", "uint8", "signed char", "int8", "char" -> 1;
            case "short", "short int", "signed short", "signed short int", "int16",
                    "ushort", "unsigned short", "unsigned short int", "uint16" -> 2;
            case "int", "signed int", "int32", "uint", "unsigned int", "uint32", "float" -> 4;
            case "double" -> 8;
            default -> throw new VolumeFormatException(file, "unsupported NRRD type '" + fields.get("type") + "'");
        };
        boolean unsigned = type.startsWith("u");
        boolean isFloat = type.equals("float") || type.equals("double");
        String endian = fields.getOrDefault("endian", "little").toLowerCase(Locale.ROOT);
        if (!endian.equals("little") && !endian.equals("big")) {
            throw new VolumeFormatException(file, "endian '" + endian + "' is neither little nor big");
        }
        String encoding = require(file, fields, "encoding").toLowerCase(Locale.ROOT);
        long dataBytes = (long) shape[0] * shape[1] * shape[2] * bpv;
        if (dataBytes > Integer.MAX_VALUE - 8) {
            throw new VolumeFormatException(file, "sizes " + fields.get("sizes") + " exceed 2 GiB of data");
        }
        long voxels = (long) shape[0] * shape[1] * shape[2];
        FileBytes.requireHeap(file, Sizes.of(shape) + " voxels of " + bpv + "-byte type",
                dataBytes + 4 * voxels);
        byte[] source = bytes;
        int offset = end;
        Path dataFile = file;
        String detached = fields.containsKey("data file") ? fields.get("data file") : fields.get("datafile");
        if (detached != null) {
            if (detached.startsWith("LIST") || detached.contains("%")) {
                throw new VolumeFormatException(file, "multi-file 'data file: " + detached + "' is not supported");
            }
            dataFile = file.toAbsolutePath().getParent().resolve(detached);
            source = FileBytes.readAll(dataFile);
            offset = 0;
            long skip = fields.containsKey("byte skip") ? parseInt(file, fields.get("byte skip"), "byte skip") : 0;
            if (skip < 0 || skip > source.length) {
                throw new VolumeFormatException(file, "byte skip " + skip + " is unsupported or beyond the data file");
            }
            offset = (int) skip;
        }
        byte[] raw;
        int rawOffset;
        switch (encoding) {
            case "raw" -> {
                if (source.length - offset < dataBytes) {
                    throw new VolumeFormatException(dataFile, "truncated: sizes need " + dataBytes
                            + " data bytes, file has " + (source.length - offset));
                }
                raw = source;
                rawOffset = offset;
            }
            case "gzip", "gz" -> {
                byte[] tail = java.util.Arrays.copyOfRange(source, offset, source.length);
                raw = FileBytes.gunzip(dataFile, tail, 0, dataBytes, true);
                rawOffset = 0;
            }
            default -> throw new VolumeFormatException(file, "unsupported NRRD encoding '" + encoding
                    + "' (supported: raw, gzip)");
        }
        ByteBuffer data = ByteBuffer.wrap(raw, rawOffset, (int) dataBytes).slice()
                .order(endian.equals("big") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[shape[0] * shape[1] * shape[2]];
        int nx = shape[0], ny = shape[1], nz = shape[2];
        int p = 0;
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++, p++) {
                    float v = switch (bpv) {
                        case 1 -> unsigned || type.equals("uchar") ? data.get(p) & 0xFF : data.get(p);
                        case 2 -> unsigned ? data.getShort(2 * p) & 0xFFFF : data.getShort(2 * p);
                        case 4 -> isFloat ? data.getFloat(4 * p)
                                : unsigned ? data.getInt(4 * p) & 0xFFFFFFFFL : data.getInt(4 * p);
                        default -> (float) data.getDouble(8 * p);
                    };
                    out[(i * ny + j) * nz + k] = v;
                }
            }
        }
        double[][] affine = geometry(file, fields);
        double[] spacing = new double[3];
        if (affine != null) {
            for (int a = 0; a < 3; a++) {
                spacing[a] = Math.sqrt(affine[0][a] * affine[0][a] + affine[1][a] * affine[1][a] + affine[2][a] * affine[2][a]);
            }
        } else if (fields.containsKey("spacings")) {
            String[] sp = fields.get("spacings").split("\\s+");
            for (int a = 0; a < 3; a++) {
                spacing[a] = a < sp.length ? parseDouble(file, sp[a], "spacings") : 1;
            }
        }
        for (int a = 0; a < 3; a++) {
            if (!(spacing[a] > 0) || !Double.isFinite(spacing[a])) {
                spacing[a] = 1;
            }
        }
        return Volume.ofFloats(shape, out, spacing, affine);
    }

    /** The affine from space directions and origin, in RAS; null when the header has none. */
    private static double[][] geometry(Path file, Map<String, String> fields) throws VolumeFormatException {
        String dirs = fields.get("space directions");
        if (dirs == null) {
            return null;
        }
        double[][] a = new double[4][4];
        a[3][3] = 1;
        String[] vectors = vectors(dirs);
        if (vectors.length != 3) {
            throw new VolumeFormatException(file, "space directions must give 3 vectors, got '" + clip(dirs) + "'");
        }
        for (int c = 0; c < 3; c++) {
            double[] v = vector(file, vectors[c], "space directions");
            for (int r = 0; r < 3; r++) {
                a[r][c] = v[r];
            }
        }
        String origin = fields.get("space origin");
        if (origin != null) {
            String[] o = vectors(origin);
            double[] v = vector(file, o.length == 1 ? o[0] : origin, "space origin");
            for (int r = 0; r < 3; r++) {
                a[r][3] = v[r];
            }
        }
        String space = fields.getOrDefault("space", "").toLowerCase(Locale.ROOT);
        if (space.equals("left-posterior-superior") || space.equals("lps")) {
            for (int c = 0; c < 4; c++) {
                a[0][c] = -a[0][c];
                a[1][c] = -a[1][c];
            }
        }
        return a;
    }

    private static String[] vectors(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int at = 0;
        while ((at = text.indexOf('(', at)) >= 0) {
            int close = text.indexOf(')', at);
            if (close < 0) {
                break;
            }
            out.add(text.substring(at + 1, close));
            at = close + 1;
        }
        return out.toArray(String[]::new);
    }

    private static double[] vector(Path file, String text, String field) throws VolumeFormatException {
        String[] parts = text.replace("(", "").replace(")", "").split(",");
        if (parts.length != 3) {
            throw new VolumeFormatException(file, field + " vector '(" + clip(text) + ")' does not have 3 components");
        }
        double[] v = new double[3];
        for (int r = 0; r < 3; r++) {
            v[r] = parseDouble(file, parts[r].trim(), field);
        }
        return v;
    }

    private static int headerEnd(byte[] b) {
        int limit = Math.min(b.length, MAX_HEADER);
        for (int i = 0; i + 1 < limit; i++) {
            if (b[i] == '\n' && b[i + 1] == '\n') {
                return i + 2;
            }
            if (b[i] == '\n' && b[i + 1] == '\r' && i + 2 < b.length && b[i + 2] == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    private static String require(Path file, Map<String, String> fields, String key) throws VolumeFormatException {
        String v = fields.get(key);
        if (v == null) {
            throw new VolumeFormatException(file, "NRRD header has no '" + key + "' field");
        }
        return v;
    }

    private static int parseInt(Path file, String text, String field) throws VolumeFormatException {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new VolumeFormatException(file, field + " '" + clip(text) + "' is not an integer");
        }
    }

    private static double parseDouble(Path file, String text, String field) throws VolumeFormatException {
        if (text.equalsIgnoreCase("nan") || text.equalsIgnoreCase("none")) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new VolumeFormatException(file, field + " '" + clip(text) + "' is not a number");
        }
    }

    private static String clip(String s) {
        String oneLine = s.replaceAll("[\\p{Cntrl}]", "?");
        return oneLine.length() > 60 ? oneLine.substring(0, 60) + "..." : oneLine;
    }
}
