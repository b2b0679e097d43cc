package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConnectedComponentsTest {
    @Test
    void matchesMinLabelPropagationOnRandomMasks() {
        Random rng = new Random(7);
        int[][] shapes = {{9, 7, 8}, {1, 13, 11}, {6, 1, 5}, {12, 3, 4}, {1, 1, 17}};
        for (int[] shape : shapes) {
            // Around the 26-neighbour percolation threshold (~0.1) components are many and irregular.
            for (double density : new double[] {0.05, 0.1, 0.2, 0.4}) {
                for (int rep = 0; rep < 3; rep++) {
                    byte[] mask = SegmentationMetricsTest.randomMask(rng, shape, density);
                    assertArrayEquals(brute(mask, shape), ConnectedComponents.largest(mask, shape),
                            Arrays.toString(shape) + " density " + density);
                }
            }
        }
    }

    @Test
    void cornerOnlyContactConnects() {
        int[] shape = {4, 4, 4};
        byte[] mask = new byte[64];
        // A corner-to-corner chain of 3 voxels against a face-connected pair.
        mask[at(shape, 0, 0, 0)] = 1;
        mask[at(shape, 1, 1, 1)] = 1;
        mask[at(shape, 2, 2, 2)] = 1;
        mask[at(shape, 0, 3, 0)] = 1;
        mask[at(shape, 0, 3, 1)] = 1;
        byte[] want = new byte[64];
        want[at(shape, 0, 0, 0)] = 1;
        want[at(shape, 1, 1, 1)] = 1;
        want[at(shape, 2, 2, 2)] = 1;
        assertArrayEquals(want, ConnectedComponents.largest(mask, shape));

        // An edge-diagonal chain of 3 voxels beats a face pair too.
        Arrays.fill(mask, (byte) 0);
        Arrays.fill(want, (byte) 0);
        for (int[] v : new int[][] {{3, 0, 0}, {3, 1, 1}, {3, 2, 2}}) {
            mask[at(shape, v[0], v[1], v[2])] = 1;
            want[at(shape, v[0], v[1], v[2])] = 1;
        }
        mask[at(shape, 0, 0, 2)] = 1;
        mask[at(shape, 0, 0, 3)] = 1;
        assertArrayEquals(want, ConnectedComponents.largest(mask, shape));
    }

    @Test
    void tieKeepsComponentWithLowestFirstVoxel() {
        int[] shape = {3, 3, 5};
        byte[] mask = new byte[45];
        mask[at(shape, 2, 0, 4)] = 1;
        mask[at(shape, 2, 1, 4)] = 1;
        mask[at(shape, 0, 2, 0)] = 1;
        mask[at(shape, 0, 2, 1)] = 1;
        byte[] want = new byte[45];
        want[at(shape, 0, 2, 0)] = 1;
        want[at(shape, 0, 2, 1)] = 1;
        assertArrayEquals(want, ConnectedComponents.largest(mask, shape));
        assertArrayEquals(new byte[45], ConnectedComponents.largest(new byte[45], shape));
    }

    private static int at(int[] shape, int x, int y, int z) {
        return (x * shape[1] + y) * shape[2] + z;
    }

    /**
     * Every voxel repeatedly takes the smallest label among itself and its 26 neighbours until nothing
     * changes; labels start as indices, so each component ends labelled by its first voxel in C order.
     */
    private static byte[] brute(byte[] mask, int[] shape) {
        int n = mask.length;
        int[] label = new int[n];
        for (int i = 0; i < n; i++) {
            label[i] = mask[i] != 0 ? i : -1;
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int x = 0; x < shape[0]; x++) {
                for (int y = 0; y < shape[1]; y++) {
                    for (int z = 0; z < shape[2]; z++) {
                        int i = at(shape, x, y, z);
                        if (label[i] < 0) {
                            continue;
                        }
                        for (int dx = -1; dx <= 1; dx++) {
                            for (int dy = -1; dy <= 1; dy++) {
                                for (int dz = -1; dz <= 1; dz++) {
                                    int u = x + dx;
                                    int v = y + dy;
                                    int w = z + dz;
                                    if (u < 0 || v < 0 || w < 0 || u >= shape[0] || v >= shape[1] || w >= shape[2]) {
                                        continue;
                                    }
                                    int j = at(shape, u, v, w);
                                    if (label[j] >= 0 && label[j] < label[i]) {
                                        label[i] = label[j];
                                        changed = true;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        int[] size = new int[n];
        for (int l : label) {
            if (l >= 0) {
                size[l]++;
            }
        }
        int best = -1;
        for (int l = 0; l < n; l++) {
            if (best < 0 ? size[l] > 0 : size[l] > size[best]) {
                best = l;
            }
        }
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            if (best >= 0 && label[i] == best) {
                out[i] = 1;
            }
        }
        return out;
    }
}
