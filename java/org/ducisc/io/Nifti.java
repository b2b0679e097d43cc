package org.ducisc.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.ducisc.core.Sizes;

/**
 * NIfTI-1 single files ({@code .nii}, {@code .nii.gz}). Reads either byte order and the types
 * uint8, int8, int16, uint16, int32, float32, float64; writes float32 images and uint8 labels
 * (little-endian). Voxel (i, j, k) of the file is element [i][j][k] of the {@link Volume}, which
 * is what nibabel's {@code get_fdata()} gives; the file stores i fastest, so reading transposes.
 * The affine is chosen like nibabel's {@code get_best_affine}: the sform if its code is set, else
 * the qform, else the pixdim diagonal with nibabel's flipped x and centred origin.
 */
public final class Nifti {
    private static final int HEADER = 348;
    private static final int VOX_OFFSET = 352;

    private Nifti() {}

    /**
     * Reads an image: the stored values decoded by {@link Raw#forEachValue} (scl_slope and scl_inter
     * applied where the slope is set), shape (i, j, k) as nibabel's {@code get_fdata()}.
     *
     * @throws VolumeFormatException naming the file and the problem, for a missing, truncated or unsupported file
     */
    public static Volume read(Path file) throws IOException {
        Raw raw = readRaw(file);
        float[] out = new float[raw.numel()];
        raw.forEachValue((at, v) -> out[at] = (float) v);
        return Volume.ofFloats(raw.shape, out, raw.spacing, raw.affine).withNiftiGeometry(raw.geometry);
    }

    /**
     * Reads a label map: the values decoded exactly as {@link #read} decodes them (so a uint8 label
     * stored 1/2 with scl_inter -1 reads 0/1, as nibabel's {@code get_fdata()} gives), which must then
     * be integers in 0..255.
     *
     * @throws VolumeFormatException naming the file and the first value that is not a label
     */
    public static Volume readLabels(Path file) throws IOException {
        Raw raw = readRaw(file);
        byte[] out = new byte[raw.numel()];
        // The first value that is not a label; a flag, because the value may itself be NaN.
        double[] bad = {0};
        boolean[] found = {false};
        raw.forEachValue((at, v) -> {
            if (v >= 0 && v <= 255 && v == Math.rint(v)) {
                out[at] = (byte) v;
            } else if (!found[0]) {
                found[0] = true;
                bad[0] = v;
            }
        });
        if (found[0]) {
            throw new VolumeFormatException(file, "label value " + bad[0] + " is not an integer in 0..255");
        }
        return Volume.ofLabels(raw.shape, out, raw.spacing, raw.affine).withNiftiGeometry(raw.geometry);
    }

    /**
     * Writes a float32 image or a uint8 label volume; gzip-compressed when the name ends in .gz. A
     * volume read from a NIfTI file (or made from one by {@link Volume#withLabels}) keeps that file's
     * geometry fields as they were: both the qform and the sform with their codes, pixdim and units.
     * Otherwise the affine (or the spacing diagonal) is written as the sform with code 1.
     */
    public static void write(Path file, Volume volume) throws IOException {
        int[] s = volume.shape();
        boolean labels = volume.isLabels();
        int bytesPer = labels ? 1 : 4;
        ByteBuffer buf = ByteBuffer.allocate(VOX_OFFSET + volume.numel() * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(0, HEADER);
        short[] dim = {3, (short) s[0], (short) s[1], (short) s[2], 1, 1, 1, 1};
        for (int a = 0; a < 3; a++) {
            if (s[a] > Short.MAX_VALUE) {
                throw new IllegalArgumentException("Nifti.write: " + file + ": axis " + a + " of " + s[a]
                        + " voxels exceeds NIfTI-1's 32767");
            }
        }
        for (int d = 0; d < 8; d++) {
            buf.putShort(40 + 2 * d, dim[d]);
        }
        buf.putShort(70, (short) (labels ? 2 : 16));
        buf.putShort(72, (short) (bytesPer * 8));
        NiftiGeometry g = volume.niftiGeometry();
        if (g != null) {
            writeGeometry(buf, g);
        } else {
            double[] spacing = volume.spacing();
            buf.putFloat(76, 1f);
            for (int a = 0; a < 3; a++) {
                buf.putFloat(80 + 4 * a, (float) spacing[a]);
            }
            buf.put(123, (byte) 10); // mm and seconds
            buf.putShort(254, (short) 1); // sform_code: scanner anatomical
            double[][] aff = volume.affineOrSpacing();
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    buf.putFloat(280 + 16 * r + 4 * c, (float) aff[r][c]);
                }
            }
        }
        buf.putFloat(108, VOX_OFFSET);
        buf.putFloat(112, labels ? 0f : 1f);
        buf.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        buf.position(VOX_OFFSET);
        for (int k = 0; k < s[2]; k++) {
            for (int j = 0; j < s[1]; j++) {
                for (int i = 0; i < s[0]; i++) {
                    int at = volume.index(i, j, k);
                    if (labels) {
                        buf.put(volume.labels()[at]);
                    } else {
                        buf.putFloat(volume.floats()[at]);
                    }
                }
            }
        }
        boolean gz = file.getFileName().toString().endsWith(".gz");
        FileBytes.writeAtomically(file, out -> {
            if (gz) {
                try (OutputStream z = new GZIPOutputStream(nonClosing(out), 1 << 16)) {
                    z.write(buf.array());
                }
            } else {
                out.write(buf.array());
            }
        });
    }

    /** The header fields of {@link NiftiGeometry}, at their nifti1.h offsets. */
    private static void writeGeometry(ByteBuffer buf, NiftiGeometry g) {
        float[] pixdim = g.pixdim();
        for (int d = 0; d < 4; d++) {
            buf.putFloat(76 + 4 * d, pixdim[d]);
        }
        buf.put(123, g.xyztUnits());
        buf.putShort(252, g.qformCode());
        buf.putShort(254, g.sformCode());
        float[] q = g.quatern();
        for (int n = 0; n < 6; n++) {
            buf.putFloat(256 + 4 * n, q[n]);
        }
        float[] srow = g.srow();
        for (int n = 0; n < 12; n++) {
            buf.putFloat(280 + 4 * n, srow[n]);
        }
    }

    private static NiftiGeometry readGeometry(ByteBuffer h) {
        float[] pixdim = new float[4];
        for (int d = 0; d < 4; d++) {
            pixdim[d] = h.getFloat(76 + 4 * d);
        }
        float[] q = new float[6];
        for (int n = 0; n < 6; n++) {
            q[n] = h.getFloat(256 + 4 * n);
        }
        float[] srow = new float[12];
        for (int n = 0; n < 12; n++) {
            srow[n] = h.getFloat(280 + 4 * n);
        }
        return new NiftiGeometry(h.getShort(252), h.getShort(254), pixdim, q, srow, h.get(123));
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    private interface VoxelSink {
        void accept(int at, double value);
    }

    /**
     * The header fields a read needs, and the voxel bytes in file order. {@code slope} and {@code inter}
     * are the scaling to apply: (1, 0) where the header's scl_slope is 0 or not finite, which NIfTI-1
     * (nifti1.h) and nibabel's {@code get_slope_inter} both read as "no scaling".
     */
    private record Raw(int[] shape, int datatype, ByteBuffer data, double slope, double inter, double[] spacing,
            double[][] affine, NiftiGeometry geometry) {
        int numel() {
            return shape[0] * shape[1] * shape[2];
        }

        /**
         * The one decode step of every NIfTI read: each voxel's stored value times slope plus inter,
         * handed over with its C-order index (i fastest in the file, k fastest in the volume).
         */
        void forEachValue(VoxelSink sink) {
            int nx = shape[0], ny = shape[1], nz = shape[2];
            boolean scaled = slope != 1 || inter != 0;
            int p = 0;
            for (int k = 0; k < nz; k++) {
                for (int j = 0; j < ny; j++) {
                    for (int i = 0; i < nx; i++, p++) {
                        double v = switch (datatype) {
                            case 2 -> data.get(p) & 0xFF;
                            case 256 -> data.get(p);
                            case 4 -> data.getShort(2 * p);
                            case 512 -> data.getShort(2 * p) & 0xFFFF;
                            case 8 -> data.getInt(4 * p);
                            case 16 -> data.getFloat(4 * p);
                            case 64 -> data.getDouble(8 * p);
                            default -> throw new IllegalStateException("datatype checked at read");
                        };
                        sink.accept((i * ny + j) * nz + k, scaled ? v * slope + inter : v);
                    }
                }
            }
        }
    }

    private static int bytesPerVoxel(int datatype) {
        return switch (datatype) {
            case 2, 256 -> 1;
            case 4, 512 -> 2;
            case 8, 16 -> 4;
            case 64 -> 8;
            default -> 0;
        };
    }

    private static Raw readRaw(Path file) throws IOException {
        byte[] bytes = FileBytes.readAll(file);
        boolean gz = FileBytes.isGzip(bytes);
        byte[] headerBytes = gz ? FileBytes.gunzip(file, bytes, 0, HEADER, false) : bytes;
        if (headerBytes.length < HEADER) {
            throw new VolumeFormatException(file, "file of " + bytes.length + " bytes is shorter than a NIfTI-1 header");
        }
        ByteBuffer h = ByteBuffer.wrap(headerBytes, 0, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != HEADER) {
            h.order(ByteOrder.BIG_ENDIAN);
            if (h.getInt(0) != HEADER) {
                int le = Integer.reverseBytes(h.getInt(0));
                throw new VolumeFormatException(file, (le == 540 || h.getInt(0) == 540)
                        ? "NIfTI-2 files are not supported" : "not a NIfTI-1 file (sizeof_hdr is not 348)");
            }
        }
        if (headerBytes[344] != 'n' || headerBytes[345] != '+' || headerBytes[346] != '1') {
            throw new VolumeFormatException(file, headerBytes[344] == 'n' && headerBytes[345] == 'i'
                    ? "a .hdr/.img pair is not supported, only single .nii files" : "not a NIfTI-1 file (bad magic)");
        }
        int ndim = h.getShort(40);
        if (ndim < 1 || ndim > 7) {
            throw new VolumeFormatException(file, "dim[0] = " + ndim + " is outside 1..7");
        }
        int[] shape = {1, 1, 1};
        for (int d = 1; d <= ndim; d++) {
            int n = h.getShort(40 + 2 * d);
            if (n < 1) {
                throw new VolumeFormatException(file, "dim[" + d + "] = " + n + " is not positive");
            }
            if (d <= 3) {
                shape[d - 1] = n;
            } else if (n != 1) {
                throw new VolumeFormatException(file, "dim[" + d + "] = " + n + ": only 3D volumes are supported");
            }
        }
        int datatype = h.getShort(70);
        int bpv = bytesPerVoxel(datatype);
        if (bpv == 0) {
            throw new VolumeFormatException(file, "unsupported NIfTI datatype " + datatype
                    + " (supported: uint8, int8, int16, uint16, int32, float32, float64)");
        }
        float voxOffsetF = h.getFloat(108);
        if (!(voxOffsetF >= HEADER && voxOffsetF < Integer.MAX_VALUE)) {
            throw new VolumeFormatException(file, "vox_offset " + voxOffsetF + " is invalid");
        }
        long voxOffset = (long) voxOffsetF;
        long voxels = (long) shape[0] * shape[1] * shape[2];
        long dataBytes = voxels * bpv;
        String declared = Sizes.of(shape) + " voxels";
        if (voxels > Integer.MAX_VALUE - 8) {
            throw new VolumeFormatException(file, "header declares " + declared + ", more than the 2^31 a volume can hold");
        }
        // The raw bytes, and a float32 volume decoded from them.
        FileBytes.requireHeap(file, declared + " of " + bpv + "-byte type", voxOffset + dataBytes + 4 * voxels);
        long needed = voxOffset + dataBytes;
        byte[] all;
        if (gz) {
            all = FileBytes.gunzip(file, bytes, 0, needed, true);
        } else {
            if (bytes.length < needed) {
                throw new VolumeFormatException(file, "truncated: header needs " + needed + " bytes, file has "
                        + bytes.length);
            }
            all = bytes;
        }
        ByteBuffer data = ByteBuffer.wrap(all, (int) voxOffset, (int) dataBytes).slice().order(h.order());
        double[] pix = new double[8];
        for (int d = 0; d < 8; d++) {
            pix[d] = h.getFloat(76 + 4 * d);
        }
        double[] spacing = {Math.abs(pix[1]), Math.abs(pix[2]), Math.abs(pix[3])};
        for (int a = 0; a < 3; a++) {
            if (!Double.isFinite(spacing[a]) || spacing[a] == 0) {
                spacing[a] = 1;
            }
        }
        double slope = h.getFloat(112);
        double inter = h.getFloat(116);
        if (slope == 0 || !Double.isFinite(slope)) {
            slope = 1;
            inter = 0;
        } else if (!Double.isFinite(inter)) {
            throw new VolumeFormatException(file, "scl_inter is " + inter + " while scl_slope " + slope
                    + " is set (nibabel refuses this too)");
        }
        return new Raw(shape, datatype, data, slope, inter, spacing, affine(h, shape, pix), readGeometry(h));
    }

    private static double[][] affine(ByteBuffer h, int[] shape, double[] pix) {
        int qformCode = h.getShort(252);
        int sformCode = h.getShort(254);
        double[][] a = new double[4][4];
        a[3][3] = 1;
        if (sformCode > 0) {
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    a[r][c] = h.getFloat(280 + 16 * r + 4 * c);
                }
            }
            return a;
        }
        if (qformCode > 0) {
            double b = h.getFloat(256), c = h.getFloat(260), d = h.getFloat(264);
            double aa = 1 - (b * b + c * c + d * d);
            double q0 = aa > 0 ? Math.sqrt(aa) : 0;
            double[][] rot = {
                {q0 * q0 + b * b - c * c - d * d, 2 * (b * c - q0 * d), 2 * (b * d + q0 * c)},
                {2 * (b * c + q0 * d), q0 * q0 + c * c - b * b - d * d, 2 * (c * d - q0 * b)},
                {2 * (b * d - q0 * c), 2 * (c * d + q0 * b), q0 * q0 + d * d - c * c - b * b}};
            double qfac = pix[0] < 0 ? -1 : 1;
            double[] zoom = {pix[1], pix[2], pix[3] * qfac};
            for (int r = 0; r < 3; r++) {
                for (int col = 0; col < 3; col++) {
                    a[r][col] = rot[r][col] * zoom[col];
                }
                a[r][3] = h.getFloat(268 + 4 * r);
            }
            return a;
        }
        // nibabel's get_base_affine: x flipped, origin at the volume's centre.
        for (int r = 0; r < 3; r++) {
            double z = (r == 0 ? -1 : 1) * (pix[r + 1] == 0 ? 1 : pix[r + 1]);
            a[r][r] = z;
            a[r][3] = -(shape[r] - 1) / 2.0 * z;
        }
        return a;
    }
}
