package org.ducisc.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The volume file formats every command and the API read, in one registry: the reference's HDF5 case
 * files ({@code image} and {@code label} datasets), NIfTI-1 and NRRD. A file's format is found from its
 * first bytes (the HDF5 signature, NRRD's {@code NRRD000} magic, NIfTI's {@code sizeof_hdr} of 348 in
 * either byte order or a gzip stream holding one), and from its suffix only when the content says
 * nothing (an empty or unreadable start). Volumes are C-order (X, Y, Z), Z fastest, as each reader
 * documents.
 */
public enum VolumeFormat {
    /** The reference's case files: {@code .h5}, {@code .hdf5}. */
    HDF5(List.of(".h5", ".hdf5")),
    /** NIfTI-1, plain or gzipped: {@code .nii}, {@code .nii.gz}. */
    NIFTI(List.of(".nii.gz", ".nii")),
    /** NRRD with attached data: {@code .nrrd}. */
    NRRD(List.of(".nrrd"));

    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1A, '\n'};
    private static final int NIFTI1_HEADER_SIZE = 348;

    private final List<String> suffixes;

    VolumeFormat(List<String> suffixes) {
        this.suffixes = suffixes;
    }

    /** The file name suffixes of this format, longest first ({@code .nii.gz} before {@code .nii}). */
    public List<String> suffixes() {
        return suffixes;
    }

    /** Every suffix the registry knows, for messages: ".h5, .hdf5, .nii.gz, .nii or .nrrd". */
    public static String knownSuffixes() {
        List<String> all = java.util.Arrays.stream(values()).flatMap(f -> f.suffixes.stream()).toList();
        return String.join(", ", all.subList(0, all.size() - 1)) + " or " + all.get(all.size() - 1);
    }

    /**
     * The format of {@code file}: from its content, else from its suffix.
     *
     * @throws VolumeFormatException the file is missing, or neither its content nor its name is one of the formats
     */
    public static VolumeFormat of(Path file) throws IOException {
        byte[] head = new byte[NIFTI1_HEADER_SIZE];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new VolumeFormatException(file, "file not found");
        }
        VolumeFormat byContent = byContent(head, n);
        if (byContent != null) {
            return byContent;
        }
        VolumeFormat bySuffix = bySuffix(file);
        if (bySuffix != null) {
            return bySuffix;
        }
        throw new VolumeFormatException(file, "not a volume this engine reads (HDF5, NIfTI-1 or NRRD; names "
                + knownSuffixes() + ")");
    }

    /** The format a file name's suffix names (case-insensitive), or null. */
    public static VolumeFormat bySuffix(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (VolumeFormat f : values()) {
            for (String s : f.suffixes) {
                if (name.endsWith(s) && name.length() > s.length()) {
                    return f;
                }
            }
        }
        return null;
    }

    /** The file name without this registry's suffix, or null when it has none ("case.nii.gz" gives "case"). */
    public static String stem(Path file) {
        VolumeFormat f = bySuffix(file);
        if (f == null) {
            return null;
        }
        String name = file.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        for (String s : f.suffixes) {
            if (lower.endsWith(s)) {
                return name.substring(0, name.length() - s.length());
            }
        }
        return null;
    }

    private static VolumeFormat byContent(byte[] head, int n) {
        if (n >= HDF5_SIGNATURE.length && java.util.Arrays.equals(head, 0, HDF5_SIGNATURE.length, HDF5_SIGNATURE, 0,
                HDF5_SIGNATURE.length)) {
            return HDF5;
        }
        if (n >= 4 && head[0] == 'N' && head[1] == 'R' && head[2] == 'R' && head[3] == 'D') {
            return NRRD;
        }
        if (n >= 2 && FileBytes.isGzip(head)) {
            return NIFTI; // a gzip stream: NIfTI is the only whole-file gzipped format here
        }
        if (n >= 4) {
            int le = (head[0] & 0xFF) | (head[1] & 0xFF) << 8 | (head[2] & 0xFF) << 16 | (head[3] & 0xFF) << 24;
            int be = (head[3] & 0xFF) | (head[2] & 0xFF) << 8 | (head[1] & 0xFF) << 16 | (head[0] & 0xFF) << 24;
            if (le == NIFTI1_HEADER_SIZE || be == NIFTI1_HEADER_SIZE) {
                return NIFTI;
            }
        }
        return null;
    }

    /**
     * The image of {@code file}: HDF5's {@code image} dataset, NIfTI's or NRRD's voxels, as float32.
     *
     * @throws VolumeFormatException naming the file and the problem
     */
    public static Volume readImage(Path file) throws IOException {
        return switch (of(file)) {
            case HDF5 -> H5Volumes.readImage(file);
            case NIFTI -> Nifti.read(file);
            case NRRD -> Nrrd.read(file);
        };
    }

    /**
     * The label map of {@code file}: HDF5's {@code label} dataset, or NIfTI's or NRRD's voxels, which must
     * be integers in 0..255.
     *
     * @throws VolumeFormatException naming the file and the problem (the first value that is not a label)
     */
    public static Volume readLabels(Path file) throws IOException {
        return switch (of(file)) {
            case HDF5 -> H5Volumes.read(file).label();
            case NIFTI -> Nifti.readLabels(file);
            case NRRD -> labels(file, Nrrd.read(file));
        };
    }

    private static Volume labels(Path file, Volume v) throws VolumeFormatException {
        if (v.isLabels()) {
            return v;
        }
        float[] f = v.floats();
        byte[] out = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            if (!(f[i] >= 0 && f[i] <= 255 && f[i] == Math.rint(f[i]))) {
                throw new VolumeFormatException(file, "value " + f[i] + " at voxel " + i + " is not a label (an integer"
                        + " in 0..255)");
            }
            out[i] = (byte) (int) f[i];
        }
        return v.withLabels(out);
    }
}
