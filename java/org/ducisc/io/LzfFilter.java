package org.ducisc.io;

import io.jhdf.exceptions.HdfFilterException;
import io.jhdf.filter.Filter;

/**
 * HDF5's LZF filter (id 32000, h5py's {@code compression="lzf"}) decoded in plain Java. It replaces
 * jhdf's own, whose compress-lzf library loads a {@code sun.misc.Unsafe} decoder on first use and so
 * makes the JDK print four deprecation warnings on the user's terminal. The format is liblzf's raw
 * stream (lzf_d.c): a control byte below 32 starts a run of control + 1 literal bytes; otherwise its
 * top 3 bits give a length (7: plus the next byte) and, with the next byte, a back-reference distance.
 * The filter's client data (h5py lzf_filter.c) holds the uncompressed chunk size at index 2.
 */
final class LzfFilter implements Filter {
    static final int ID = 32000;

    @Override
    public int getId() {
        return ID;
    }

    @Override
    public String getName() {
        return "lzf";
    }

    @Override
    public byte[] decode(byte[] in, int[] filterData) {
        if (filterData == null || filterData.length < 3 || filterData[2] < 0) {
            throw new HdfFilterException("lzf filter without its chunk size in the filter data");
        }
        byte[] out = new byte[filterData[2]];
        int ip = 0;
        int op = 0;
        while (ip < in.length) {
            int ctrl = in[ip++] & 0xFF;
            if (ctrl < 32) {
                int len = ctrl + 1;
                if (ip + len > in.length || op + len > out.length) {
                    throw new HdfFilterException("corrupt lzf chunk: a literal run passes its end");
                }
                System.arraycopy(in, ip, out, op, len);
                ip += len;
                op += len;
            } else {
                int len = ctrl >> 5;
                int ref = op - ((ctrl & 0x1F) << 8) - 1;
                if (len == 7) {
                    if (ip >= in.length) {
                        throw new HdfFilterException("corrupt lzf chunk: truncated back reference");
                    }
                    len += in[ip++] & 0xFF;
                }
                if (ip >= in.length) {
                    throw new HdfFilterException("corrupt lzf chunk: truncated back reference");
                }
                ref -= in[ip++] & 0xFF;
                len += 2;
                if (ref < 0 || op + len > out.length) {
                    throw new HdfFilterException("corrupt lzf chunk: a back reference points outside the chunk");
                }
                for (int n = 0; n < len; n++) {
                    out[op++] = out[ref++];
                }
            }
        }
        if (op != out.length) {
            throw new HdfFilterException("corrupt lzf chunk: " + op + " bytes decoded, " + out.length + " expected");
        }
        return out;
    }
}
