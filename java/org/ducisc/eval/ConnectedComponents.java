package org.ducisc.eval;

/** Connected components of 3-d masks (C order, shape (X, Y, Z), Z fastest, any non-zero byte is foreground). */
public final class ConnectedComponents {
    private ConnectedComponents() {
    }

    /**
     * Keeps only the largest 26-connected foreground component (voxels sharing a face, an edge or a corner
     * are connected), the reference's optional post-processing. Among components of equal size the one whose
     * first voxel in C order has the lowest index wins.
     *
     * @return a fresh mask of 0/1 bytes; all zeros if {@code mask} has no foreground
     */
    public static byte[] largest(byte[] mask, int[] shape) {
        int n = MaskChecks.voxels("ConnectedComponents.largest", mask, shape);
        int nx = shape[0];
        int ny = shape[1];
        int nz = shape[2];
        // label[i] = component number + 1 once visited; the BFS queue doubles as the member list of the
        // component being grown, so no recursion and no per-component allocation.
        int[] label = new int[n];
        int[] queue = new int[n];
        int best = 0;
        int bestSize = 0;
        int next = 0;
        for (int seed = 0; seed < n; seed++) {
            if (mask[seed] == 0 || label[seed] != 0) {
                continue;
            }
            next++;
            label[seed] = next;
            queue[0] = seed;
            int head = 0;
            int tail = 1;
            while (head < tail) {
                int i = queue[head++];
                int x = i / (ny * nz);
                int y = i / nz % ny;
                int z = i % nz;
                for (int u = Math.max(x - 1, 0); u <= Math.min(x + 1, nx - 1); u++) {
                    for (int v = Math.max(y - 1, 0); v <= Math.min(y + 1, ny - 1); v++) {
                        int row = (u * ny + v) * nz;
                        for (int w = Math.max(z - 1, 0); w <= Math.min(z + 1, nz - 1); w++) {
                            int j = row + w;
                            if (mask[j] != 0 && label[j] == 0) {
                                label[j] = next;
                                queue[tail++] = j;
                            }
                        }
                    }
                }
            }
            // Strictly larger: seeds come in C order, so a tie keeps the component found first.
            if (tail > bestSize) {
                bestSize = tail;
                best = next;
            }
        }
        byte[] out = new byte[n];
        if (best != 0) {
            for (int i = 0; i < n; i++) {
                if (label[i] == best) {
                    out[i] = 1;
                }
            }
        }
        return out;
    }
}
