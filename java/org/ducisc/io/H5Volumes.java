package org.ducisc.io;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.DatasetCreationOptions;
import io.jhdf.api.Link;
import io.jhdf.api.Node;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.ducisc.core.Sizes;

/**
 * Reads and writes the reference's HDF5 case files: a float32 dataset {@code image} and a uint8
 * dataset {@code label}, both 3D (W, H, D) in C order, gzip-compressed in chunks. Any float or
 * integer type is accepted on read. Written files use the same layout (deflate level 4, the h5py
 * default for {@code compression="gzip"}), so h5py and the reference read them unchanged.
 */
public final class H5Volumes {
    private static final int[] CHUNK = {64, 64, 32};

    static {
        // Plain-Java LZF in place of jhdf's, which loads sun.misc.Unsafe and makes the JDK print warnings.
        io.jhdf.filter.FilterManager.addFilter(new LzfFilter());
    }

    private H5Volumes() {}

    /**
     * Reads {@code image} and {@code label}. With {@code clampNegativeLabels} (the nerve data
     * set), label values below 0 become 0; otherwise a label outside 0..255 is an error.
     */
    public static CaseData read(Path file, String caseName, boolean clampNegativeLabels) throws IOException {
        return withFile(file, h5 -> {
            Volume image = toVolume(file, h5, "image", dataset(file, h5, "image"), false, false);
            Volume label = toVolume(file, h5, "label", dataset(file, h5, "label"), true, clampNegativeLabels);
            if (!Arrays.equals(image.shape(), label.shape())) {
                throw new VolumeFormatException(file, "label shape " + Arrays.toString(label.shape())
                        + " differs from image shape " + Arrays.toString(image.shape()));
            }
            return new CaseData(caseName, image, label);
        });
    }

    public static CaseData read(Path file) throws IOException {
        return read(file, file.getFileName().toString(), false);
    }

    /** Reads only {@code image} (an unlabeled case never needs its label). */
    public static Volume readImage(Path file) throws IOException {
        return withFile(file, h5 -> toVolume(file, h5, "image", dataset(file, h5, "image"), false, false));
    }

    /** Writes {@code image} (float32) and {@code label} (uint8) atomically. */
    public static void write(Path file, Volume image, Volume label) throws IOException {
        new CaseData(file.getFileName().toString(), image, label);
        FileBytes.writeAtomicallyTo(file, tmp -> {
            try (WritableHdfFile h5 = HdfFile.write(tmp)) {
                h5.putDataset("image", nestFloats(image), options(image.shape(), false));
                h5.putDataset("label", nestBytes(label), options(label.shape(), true));
            } catch (RuntimeException e) {
                throw new VolumeFormatException(file, "HDF5 write failed: " + e.getMessage(), e);
            }
        });
    }

    private interface H5Action<T> {
        T apply(HdfFile h5) throws IOException;
    }

    /** Opens with jhdf and turns its unchecked errors on a damaged file into one-line ones. */
    private static <T> T withFile(Path file, H5Action<T> action) throws IOException {
        FileBytes.requireRegularFile(file);
        try (HdfFile h5 = new HdfFile(file)) {
            H5DatasetReader.checkLength(file, h5);
            return action.apply(h5);
        } catch (VolumeFormatException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new VolumeFormatException(file, "not a readable HDF5 file (" + why + ")", e);
        } catch (OutOfMemoryError e) {
            // A damaged size field can make jhdf allocate before any size we could check; or the heap is small.
            throw new HeapLimitException(file, "reading it ran out of memory at a " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB heap limit: the heap is too small, or the file declares absurd sizes (raise the Java heap"
                    + " limit, -Xmx)", -1);
        }
    }

    private static Dataset dataset(Path file, HdfFile h5, String name) throws VolumeFormatException {
        Node node = h5.getChildren().get(name);
        if (node == null) {
            throw new VolumeFormatException(file, "no dataset '" + name + "' (has " + h5.getChildren().keySet() + ")");
        }
        if (node instanceof Link link) {
            // A soft or external link (h5py's SoftLink, ExternalLink) stands for its target, as in h5py.
            if (link.isBrokenLink()) {
                throw new VolumeFormatException(file, "'" + name + "' is a link to " + link.getTargetPath()
                        + ", which does not exist");
            }
            node = link.getTarget();
        }
        if (!(node instanceof Dataset ds)) {
            throw new VolumeFormatException(file, "'" + name + "' is a group, not a dataset");
        }
        return ds;
    }

    private static Volume toVolume(Path file, HdfFile h5, String name, Dataset ds, boolean label, boolean clampNegative)
            throws IOException {
        int[] dims = ds.getDimensions();
        if (dims.length != 3) {
            throw new VolumeFormatException(file, "dataset '" + name + "' has shape " + Arrays.toString(dims)
                    + ", expected 3 axes (W, H, D)");
        }
        long n = (long) dims[0] * dims[1] * dims[2];
        if (dims[0] <= 0 || dims[1] <= 0 || dims[2] <= 0 || n > Integer.MAX_VALUE - 8) {
            throw new VolumeFormatException(file, "dataset '" + name + "' has unusable shape " + Arrays.toString(dims));
        }
        var type = ds.getDataType();
        boolean signed;
        if (type instanceof FloatingPoint) {
            signed = true;
        } else if (type instanceof FixedPoint fp) {
            signed = fp.isSigned();
        } else {
            throw new VolumeFormatException(file, "dataset '" + name + "' has unsupported type "
                    + type.getClass().getSimpleName() + " (need a float or integer type)");
        }
        long bytes = n * type.getSize();
        long fileSize = Files.size(file);
        if (bytes > fileSize * FileBytes.MAX_GZIP_RATIO + 4096) {
            throw new VolumeFormatException(file, "dataset '" + name + "' declares " + bytes
                    + " bytes, more than a " + fileSize + "-byte file can hold");
        }
        FileBytes.requireHeap(file, "dataset '" + name + "' of " + Sizes.of(dims) + " values",
                bytes + n * (label ? 1 : 4));
        Object flat = H5DatasetReader.readFlat(file, h5, name, ds);
        int length = java.lang.reflect.Array.getLength(flat);
        if (length != n) {
            throw new VolumeFormatException(file, "dataset '" + name + "' holds " + length + " values, shape "
                    + Arrays.toString(dims) + " needs " + n);
        }
        if (!label) {
            return Volume.ofFloats(dims, toFloats(flat, signed));
        }
        return Volume.ofLabels(dims, toLabels(file, name, flat, signed, clampNegative));
    }

    private static float[] toFloats(Object flat, boolean signed) {
        if (flat instanceof float[] f) {
            return f;
        }
        int n = java.lang.reflect.Array.getLength(flat);
        float[] out = new float[n];
        switch (flat) {
            case double[] a -> { for (int i = 0; i < n; i++) out[i] = (float) a[i]; }
            case byte[] a -> { for (int i = 0; i < n; i++) out[i] = signed ? a[i] : a[i] & 0xFF; }
            case short[] a -> { for (int i = 0; i < n; i++) out[i] = signed ? a[i] : a[i] & 0xFFFF; }
            case int[] a -> { for (int i = 0; i < n; i++) out[i] = signed ? a[i] : a[i] & 0xFFFFFFFFL; }
            case long[] a -> { for (int i = 0; i < n; i++) out[i] = a[i]; }
            case Object[] a -> { for (int i = 0; i < n; i++) out[i] = ((Number) a[i]).floatValue(); }
            default -> throw new IllegalStateException("unexpected jhdf array " + flat.getClass());
        }
        return out;
    }

    private static byte[] toLabels(Path file, String name, Object flat, boolean signed, boolean clampNegative)
            throws VolumeFormatException {
        int n = java.lang.reflect.Array.getLength(flat);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            double v = switch (flat) {
                case byte[] a -> signed ? a[i] : a[i] & 0xFF;
                case short[] a -> signed ? a[i] : a[i] & 0xFFFF;
                case int[] a -> signed ? a[i] : a[i] & 0xFFFFFFFFL;
                case long[] a -> a[i];
                case float[] a -> a[i];
                case double[] a -> a[i];
                case Object[] a -> ((Number) a[i]).doubleValue();
                default -> throw new IllegalStateException("unexpected jhdf array " + flat.getClass());
            };
            if (v < 0 && clampNegative) {
                v = 0;
            }
            if (!(v >= 0 && v <= 255) || v != Math.rint(v)) {
                throw new VolumeFormatException(file, "dataset '" + name + "' has value " + v + " at flat index " + i
                        + ", labels must be integers in 0..255");
            }
            out[i] = (byte) v;
        }
        return out;
    }

    private static DatasetCreationOptions options(int[] shape, boolean unsigned) {
        var b = DatasetCreationOptions.builder()
                .chunkDimensions(Math.min(shape[0], CHUNK[0]), Math.min(shape[1], CHUNK[1]), Math.min(shape[2], CHUNK[2]))
                .deflate(4);
        if (unsigned) {
            b.unsigned();
        }
        return b.build();
    }

    private static float[][][] nestFloats(Volume v) {
        int[] s = v.shape();
        float[] d = v.floats();
        float[][][] out = new float[s[0]][s[1]][];
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                int from = v.index(i, j, 0);
                out[i][j] = Arrays.copyOfRange(d, from, from + s[2]);
            }
        }
        return out;
    }

    private static byte[][][] nestBytes(Volume v) {
        int[] s = v.shape();
        byte[] d = v.labels();
        byte[][][] out = new byte[s[0]][s[1]][];
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                int from = v.index(i, j, 0);
                out[i][j] = Arrays.copyOfRange(d, from, from + s[2]);
            }
        }
        return out;
    }
}
