package org.ducisc.io;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.api.dataset.ContiguousDataset;
import io.jhdf.dataset.chunked.Chunk;
import io.jhdf.dataset.chunked.ChunkOffset;
import io.jhdf.dataset.chunked.ChunkedDatasetBase;
import io.jhdf.exceptions.HdfFilterException;
import io.jhdf.filter.PipelineFilterWithData;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The values of one HDF5 dataset, read through jhdf 0.13 with the checks it leaves out, as h5py
 * (libhdf5) makes them:
 * <ul>
 * <li>The file must be as long as its superblock's end-of-file address says, and every chunk or
 * contiguous block must lie within the file: a truncated file is refused, not read as zeros.</li>
 * <li>A chunk may be stored with some filters skipped: bit {@code i} of its filter mask set means
 * filter {@code i} of the pipeline was not applied (HDF5 file format spec, version 2 B-tree and
 * chunk index records; h5py {@code write_direct_chunk(filter_mask=...)}). jhdf 0.13 ignores the
 * mask (its issue 873), so masked chunks are decoded here; the deflate, shuffle and fletcher32
 * filters can be applied alone.</li>
 * <li>A filter jhdf lacks is named with its HDF5 id instead of calling the file unreadable.</li>
 * </ul>
 */
final class H5DatasetReader {
    /** The filters jhdf 0.13 decodes (HDF5 registered filter ids). */
    static final String SUPPORTED_FILTERS = "deflate/gzip (1), shuffle (2), fletcher32 (3), lzf (32000), lz4 (32004),"
            + " bitshuffle (32008)";
    private static final Method CHUNK_LOOKUP = chunkLookup();

    private H5DatasetReader() {}

    private static Method chunkLookup() {
        try {
            Method m = ChunkedDatasetBase.class.getDeclaredMethod("getChunkLookup");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another jhdf version: its own reading (and its handling of masks) is used
        }
    }

    /**
     * Refuses a file shorter than its superblock's end-of-file address (h5py: "truncated file").
     *
     * @throws VolumeFormatException naming the file, the recorded and the actual length in bytes
     */
    static void checkLength(Path file, HdfFile h5) throws VolumeFormatException {
        var superblock = h5.getHdfBackingStorage().getSuperblock();
        long eof = superblock.getEndOfFileAddress();
        long end = h5.getUserBlockSize() + superblock.getBaseAddressByte() + eof;
        long size = h5.size();
        if (eof > 0 && end > size) {
            throw new VolumeFormatException(file, "truncated: the HDF5 superblock records " + end
                    + " bytes, the file has " + size);
        }
    }

    /**
     * The dataset's values in C order as jhdf's {@code getDataFlat()} types them (float[], double[],
     * byte[], short[], int[] or long[]).
     *
     * @throws VolumeFormatException naming the file and the dataset when a block lies beyond the end of
     *     the file, a filter is not supported, or a chunk cannot be decoded
     */
    static Object readFlat(Path file, HdfFile h5, String name, Dataset ds) throws IOException {
        long size = h5.size() - h5.getUserBlockSize();
        if (ds instanceof ContiguousDataset c && !ds.isEmpty()) {
            checkWithin(file, name, "data", c.getDataAddress(), ds.getSizeInBytes(), size);
        }
        if (!(ds instanceof ChunkedDatasetBase chunked)) {
            return ds.getDataFlat();
        }
        List<PipelineFilterWithData> filters;
        try {
            filters = chunked.getFilters();
        } catch (HdfFilterException e) {
            String what = e.getMessage() == null ? "" : e.getMessage().replaceFirst("^.*?: ", "");
            throw new VolumeFormatException(file, "dataset '" + name + "' is stored with HDF5 filter " + what
                    + ", which is not supported (supported: " + SUPPORTED_FILTERS + ")");
        }
        Map<ChunkOffset, Chunk> chunks = lookup(chunked);
        if (chunks == null) {
            return ds.getDataFlat();
        }
        boolean masked = false;
        for (Chunk chunk : chunks.values()) {
            checkWithin(file, name, "chunk " + java.util.Arrays.toString(chunk.getChunkOffset()), chunk.getAddress(),
                    chunk.getSize(), size);
            masked |= !chunk.getFilterMask().isEmpty();
        }
        if (!masked) {
            return ds.getDataFlat();
        }
        return assemble(file, h5, name, chunked, chunks, filters);
    }

    @SuppressWarnings("unchecked")
    private static Map<ChunkOffset, Chunk> lookup(ChunkedDatasetBase ds) {
        if (CHUNK_LOOKUP == null) {
            return null;
        }
        try {
            return (Map<ChunkOffset, Chunk>) CHUNK_LOOKUP.invoke(ds);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    private static void checkWithin(Path file, String name, String what, long address, long length, long fileSize)
            throws VolumeFormatException {
        if (address < 0 || length < 0 || address + length > fileSize) {
            throw new VolumeFormatException(file, "truncated: " + what + " of dataset '" + name + "' spans bytes "
                    + address + ".." + (address + length) + ", the file has " + fileSize);
        }
    }

    /** Decodes every chunk (masked ones here, the rest by jhdf) into one C-order buffer, then types it. */
    private static Object assemble(Path file, HdfFile h5, String name, ChunkedDatasetBase ds,
                                   Map<ChunkOffset, Chunk> chunks, List<PipelineFilterWithData> filters)
            throws VolumeFormatException {
        int[] dims = ds.getDimensions();
        int[] cd = ((ChunkedDataset) ds).getChunkDimensions();
        int es = ds.getDataType().getSize();
        if (dims.length != 3 || cd.length != 3) {
            throw new VolumeFormatException(file, "dataset '" + name + "' has " + dims.length + " axes, expected 3");
        }
        long chunkBytes = (long) cd[0] * cd[1] * cd[2] * es;
        byte[] flat = new byte[Math.toIntExact(ds.getSizeInBytes())];
        for (Chunk chunk : chunks.values()) {
            long[] at = chunk.getChunkOffset();
            int[] offset = {(int) at[0], (int) at[1], (int) at[2]};
            byte[] data;
            if (chunk.getFilterMask().isEmpty()) {
                data = ds.getDecompressedChunk(offset);
            } else {
                ByteBuffer raw = ds.getRawChunkBuffer(offset);
                byte[] bytes = new byte[raw.remaining()];
                raw.get(bytes);
                data = unfilter(file, name, bytes, filters, chunk.getFilterMask());
            }
            if (data.length < chunkBytes) {
                throw new VolumeFormatException(file, "chunk " + java.util.Arrays.toString(at) + " of dataset '" + name
                        + "' decodes to " + data.length + " bytes, its shape needs " + chunkBytes);
            }
            int rows = Math.min(cd[0], dims[0] - offset[0]);
            int cols = Math.min(cd[1], dims[1] - offset[1]);
            int run = Math.min(cd[2], dims[2] - offset[2]) * es;
            for (int a = 0; a < rows; a++) {
                for (int b = 0; b < cols; b++) {
                    int from = ((a * cd[1] + b) * cd[2]) * es;
                    int to = (((offset[0] + a) * dims[1] + offset[1] + b) * dims[2] + offset[2]) * es;
                    System.arraycopy(data, from, flat, to, run);
                }
            }
        }
        return ds.getDataType().fillData(ByteBuffer.wrap(flat), new int[] {flat.length / es}, h5.getHdfBackingStorage());
    }

    /** Undoes the filters of the pipeline whose mask bit is clear, last applied first. */
    private static byte[] unfilter(Path file, String name, byte[] data, List<PipelineFilterWithData> filters,
                                   BitSet mask) throws VolumeFormatException {
        for (int i = filters.size() - 1; i >= 0; i--) {
            if (mask.get(i)) {
                continue;
            }
            PipelineFilterWithData f = filters.get(i);
            data = switch (f.getId()) {
                case 1 -> inflate(file, name, data);
                case 2 -> unshuffle(data, f.getFilterData().length > 0 ? f.getFilterData()[0] : 1);
                case 3 -> java.util.Arrays.copyOf(data, Math.max(0, data.length - 4)); // fletcher32: drop the checksum
                default -> throw new VolumeFormatException(file, "dataset '" + name + "' has chunks stored with only"
                        + " some of their filters, and filter '" + f.getName() + "' (id " + f.getId()
                        + ") cannot be undone alone (supported alone: deflate, shuffle, fletcher32)");
            };
        }
        return data;
    }

    private static byte[] inflate(Path file, String name, byte[] data) throws VolumeFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(data);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(data.length * 4);
            byte[] buf = new byte[1 << 14];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new VolumeFormatException(file, "a deflate chunk of dataset '" + name + "' is truncated");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new VolumeFormatException(file, "a deflate chunk of dataset '" + name + "' is corrupt ("
                    + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }

    /** HDF5's shuffle filter stores byte b of every element together; this puts the bytes back. */
    private static byte[] unshuffle(byte[] data, int elementSize) {
        if (elementSize <= 1 || data.length % elementSize != 0) {
            return data;
        }
        int n = data.length / elementSize;
        byte[] out = new byte[data.length];
        for (int b = 0; b < elementSize; b++) {
            for (int e = 0; e < n; e++) {
                out[e * elementSize + b] = data[b * n + e];
            }
        }
        return out;
    }
}
