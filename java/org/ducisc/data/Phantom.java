package org.ducisc.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.core.Sizes;
import org.ducisc.io.CaseData;
import org.ducisc.io.FileBytes;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.SliceImage;
import org.ducisc.io.Volume;
import org.ducisc.tensor.Rng;

/**
 * A synthetic stand-in for the LA data set, in its layout, for tests and demos without the real
 * scans. Per case (all parameters drawn from the case's own seeded generator):
 * <ul>
 * <li>the target: a blood pool made of a deformed ellipsoidal body, an appendage lobe and 2 to 4
 *     vein stubs, smoothly united, then warped by a smooth random displacement field;
 * <li>look-alikes that are not labeled: a curved aorta-like tube and a ventricle-like blob of
 *     similar brightness, touching the target or a wall's width away, each denting it (so the
 *     target is not convex and the boundary must be found where the wall is thin);
 * <li>a dark wall around every pool, a textured background with dark lung-like regions;
 * <li>partial volume at every edge (soft occupancy over about a voxel), a smooth multiplicative
 *     bias field, per-case contrast (pool, wall and background levels, a gamma), Rician noise;
 * <li>the image z-scored over the volume (like the reference's mri_norm2), the label the hard
 *     inside of the target.
 * </ul>
 * Deterministic: the same seed, case count and size give the same files, byte for byte.
 */
public final class Phantom {
    public static final int[] DEFAULT_SIZE = {96, 96, 64};
    public static final int DEFAULT_CASES = 20;

    private Phantom() {}

    /** The most cases one data set may have (names run to phantom_10000). */
    public static final int MAX_CASES = 10000;

    /** Case names, phantom_001 ... */
    public static String caseName(int index) {
        return String.format("phantom_%03d", index + 1);
    }

    /**
     * Writes {@code out/LA/2018LA_Seg_TrainingSet/<case>/mri_norm2.h5} for every case, and
     * {@code out/LA/train.list} (the first 80%, rounded) and {@code test.list} (the rest).
     */
    public static List<String> writeDataset(Path out, int cases, long seed, int[] size) throws IOException {
        checkOptions(cases, size);
        Path la = out.resolve(DatasetKind.LA.folder());
        List<String> names = new ArrayList<>();
        for (int c = 0; c < cases; c++) {
            CaseData data = generate(c, seed, size);
            H5Volumes.write(DatasetKind.LA.caseFile(la, data.name()), data.image(), data.label());
            names.add(data.name());
        }
        int nTrain = trainCount(cases);
        writeList(la.resolve("train.list"), names.subList(0, nTrain));
        writeList(la.resolve("test.list"), names.subList(nTrain, cases));
        return names;
    }

    /** How many of {@code cases} go to train.list: 80%, rounded, leaving at least one for test.list. */
    public static int trainCount(int cases) {
        return Math.max(1, Math.min(cases - 1, (int) Math.round(cases * 0.8)));
    }

    /**
     * Checks a data set's case count (2..10000: one train and one test case at least) and size, before
     * anything is written.
     *
     * @throws IllegalArgumentException naming the count or size and its range
     */
    public static void checkOptions(int cases, int[] size) {
        checkSize(size);
        if (cases < 2 || cases > MAX_CASES) {
            throw new InvalidSettingException("cases", "must be in 2.." + MAX_CASES
                    + " (one train and one test case at least), got " + cases);
        }
    }

    private static void writeList(Path file, List<String> names) throws IOException {
        String text = String.join("\n", names) + "\n";
        FileBytes.writeAtomically(file, o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    static void checkSize(int[] size) {
        if (size.length != 3) {
            throw new InvalidSettingException("size", "needs 3 numbers W,H,D, got " + size.length);
        }
        for (int s : size) {
            if (s < 32 || s > 1024) {
                throw new InvalidSettingException("size", "must have each side in 32..1024, got " + Sizes.of(size));
            }
        }
    }

    // ---- geometry: all distances in voxels, negative inside ----

    /** A separable smooth random field: a sum of products of 1D sinusoids, tabulated per axis. */
    private static final class SmoothField {
        final double[][][] tables; // [mode][axis][coordinate]
        final double[] amplitude;

        SmoothField(Rng rng, int[] size, int modes, double minWave, double maxWave, double amp) {
            tables = new double[modes][3][];
            amplitude = new double[modes];
            for (int m = 0; m < modes; m++) {
                amplitude[m] = amp * (rng.nextDouble() * 2 - 1);
                for (int a = 0; a < 3; a++) {
                    double wave = minWave + (maxWave - minWave) * rng.nextDouble();
                    double phase = 2 * Math.PI * rng.nextDouble();
                    double[] t = new double[size[a]];
                    for (int x = 0; x < size[a]; x++) {
                        t[x] = Math.cos(2 * Math.PI * x / wave + phase);
                    }
                    tables[m][a] = t;
                }
            }
        }

        double at(int i, int j, int k) {
            double s = 0;
            for (int m = 0; m < amplitude.length; m++) {
                s += amplitude[m] * tables[m][0][i] * tables[m][1][j] * tables[m][2][k];
            }
            return s;
        }
    }

    private record Ellipsoid(double[] c, double[] r) {
        /** A good approximation of the signed distance to an axis-aligned ellipsoid. */
        double distance(double x, double y, double z) {
            double qx = (x - c[0]) / r[0], qy = (y - c[1]) / r[1], qz = (z - c[2]) / r[2];
            double k0 = Math.sqrt(qx * qx + qy * qy + qz * qz);
            double k1 = Math.sqrt(qx * qx / (r[0] * r[0]) + qy * qy / (r[1] * r[1]) + qz * qz / (r[2] * r[2]));
            return k1 == 0 ? -Math.min(r[0], Math.min(r[1], r[2])) : k0 * (k0 - 1) / k1;
        }
    }

    /** A tube of constant radius around a polyline, with a bounding box to skip far points fast. */
    private static final class Tube {
        final double[][] pts;
        final double radius;
        final double[] lo = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        final double[] hi = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        static final double REACH = 12;

        Tube(double[][] pts, double radius) {
            this.pts = pts;
            this.radius = radius;
            for (double[] p : pts) {
                for (int a = 0; a < 3; a++) {
                    lo[a] = Math.min(lo[a], p[a] - radius - REACH);
                    hi[a] = Math.max(hi[a], p[a] + radius + REACH);
                }
            }
        }

        double distance(double x, double y, double z) {
            if (x < lo[0] || y < lo[1] || z < lo[2] || x > hi[0] || y > hi[1] || z > hi[2]) {
                return REACH;
            }
            double best = Double.MAX_VALUE;
            for (int s = 0; s + 1 < pts.length; s++) {
                double[] a = pts[s], b = pts[s + 1];
                double dx = b[0] - a[0], dy = b[1] - a[1], dz = b[2] - a[2];
                double px = x - a[0], py = y - a[1], pz = z - a[2];
                double len2 = dx * dx + dy * dy + dz * dz;
                double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, (px * dx + py * dy + pz * dz) / len2));
                double ex = px - t * dx, ey = py - t * dy, ez = pz - t * dz;
                best = Math.min(best, ex * ex + ey * ey + ez * ez);
            }
            return Math.min(Math.sqrt(best) - radius, REACH);
        }
    }

    /** Polynomial smooth minimum: a union with rounded joints of width about k. */
    private static double smoothMin(double a, double b, double k) {
        double h = Math.max(k - Math.abs(a - b), 0) / k;
        return Math.min(a, b) - h * h * k * 0.25;
    }

    /** Soft occupancy of a region from its signed distance: the partial-volume edge. */
    private static double occupancy(double d, double edge) {
        return 1 / (1 + Math.exp(d / edge));
    }

    private static double uniform(Rng rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    private static double[] unitVector(Rng rng) {
        double[] v = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
        double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) + 1e-12;
        return new double[] {v[0] / n, v[1] / n, v[2] / n};
    }

    /** One case: the same (index, seed, size) always gives the same arrays. */
    public static CaseData generate(int index, long seed, int[] size) {
        checkSize(size);
        Rng rng = new Rng(seed ^ (0x9E3779B97F4A7C15L * (index + 1)));
        final int nx = size[0], ny = size[1], nz = size[2];
        double scale = uniform(rng, 0.75, 1.2);

        // Target: body, appendage, vein stubs.
        double[] c = {nx * uniform(rng, 0.44, 0.56), ny * uniform(rng, 0.44, 0.56), nz * uniform(rng, 0.45, 0.55)};
        double[] r = {nx * 0.24 * scale * uniform(rng, 0.85, 1.15), ny * 0.21 * scale * uniform(rng, 0.85, 1.15),
            nz * 0.26 * scale * uniform(rng, 0.85, 1.15)};
        Ellipsoid body = new Ellipsoid(c, r);
        double[] u = unitVector(rng);
        double[] ac = {c[0] + u[0] * r[0] * 0.9, c[1] + u[1] * r[1] * 0.9, c[2] + u[2] * r[2] * 0.9};
        double as = uniform(rng, 0.35, 0.5);
        Ellipsoid appendage = new Ellipsoid(ac, new double[] {r[0] * as, r[1] * as * 0.8, r[2] * as * 1.1});
        int nVeins = 2 + rng.nextInt(3);
        Tube[] veins = new Tube[nVeins];
        for (int v = 0; v < nVeins; v++) {
            double[] d = unitVector(rng);
            double len = uniform(rng, 1.3, 1.8);
            double[] a = {c[0] + d[0] * r[0] * 0.5, c[1] + d[1] * r[1] * 0.5, c[2] + d[2] * r[2] * 0.5};
            double[] b = {c[0] + d[0] * r[0] * len, c[1] + d[1] * r[1] * len, c[2] + d[2] * r[2] * len};
            veins[v] = new Tube(new double[][] {a, b}, uniform(rng, 2.2, 3.8) * Math.sqrt(scale));
        }

        // Look-alikes. The aorta passes along the body's side; the ventricle sits against the other side.
        double wall = uniform(rng, 1.2, 2.4);
        double[] side = unitVector(rng);
        side[2] *= 0.3;
        double sn = Math.hypot(side[0], Math.hypot(side[1], side[2]));
        double aortaR = uniform(rng, 4.5, 7.5) * Math.sqrt(scale);
        double reach = Math.sqrt(sq(side[0] * r[0]) + sq(side[1] * r[1]) + sq(side[2] * r[2])) / sn;
        double touch = uniform(rng, -0.4, 0.8) * wall;
        double[] mid = new double[3];
        for (int a = 0; a < 3; a++) {
            mid[a] = c[a] + side[a] / sn * (reach + aortaR * 0.6 + touch);
        }
        double tilt = uniform(rng, -0.4, 0.4);
        double bend = uniform(rng, -0.3, 0.3) * nx;
        double[][] aortaPts = new double[17][];
        for (int s = 0; s < 17; s++) {
            double t = s / 16.0 - 0.5;
            aortaPts[s] = new double[] {mid[0] + tilt * t * nz + bend * t * t, mid[1] + tilt * 0.5 * t * nz, mid[2] + t * nz * 1.3};
        }
        Tube aorta = new Tube(aortaPts, aortaR);
        double[] vside = {-side[0] + 0.3 * rng.nextGaussian(), -side[1] + 0.3 * rng.nextGaussian(), -side[2]};
        double vn = Math.sqrt(sq(vside[0]) + sq(vside[1]) + sq(vside[2]));
        double vs = uniform(rng, 0.8, 1.1);
        double[] vr = {r[0] * vs, r[1] * vs * 1.1, r[2] * vs};
        double vreach = Math.sqrt(sq(vside[0] * r[0]) + sq(vside[1] * r[1]) + sq(vside[2] * r[2])) / vn
                + Math.sqrt(sq(vside[0] * vr[0]) + sq(vside[1] * vr[1]) + sq(vside[2] * vr[2])) / vn * 0.75;
        double vgap = uniform(rng, -0.3, 1.0) * wall;
        double[] vc = new double[3];
        for (int a = 0; a < 3; a++) {
            vc[a] = c[a] + vside[a] / vn * (vreach + vgap);
        }
        Ellipsoid ventricle = new Ellipsoid(vc, vr);
        Ellipsoid lungL = new Ellipsoid(new double[] {nx * uniform(rng, -0.05, 0.08), ny * uniform(rng, 0.3, 0.7), nz * 0.5},
                new double[] {nx * uniform(rng, 0.12, 0.22), ny * 0.35, nz * 0.6});
        Ellipsoid lungR = new Ellipsoid(new double[] {nx * uniform(rng, 0.92, 1.05), ny * uniform(rng, 0.3, 0.7), nz * 0.5},
                new double[] {nx * uniform(rng, 0.12, 0.22), ny * 0.35, nz * 0.6});

        // Smooth fields: shape warp, background texture, bias.
        SmoothField[] warp = new SmoothField[3];
        double warpAmp = uniform(rng, 1.5, 3.0) * scale;
        for (int a = 0; a < 3; a++) {
            warp[a] = new SmoothField(rng, size, 4, 24, 56, warpAmp);
        }
        SmoothField texture = new SmoothField(rng, size, 6, 8, 30, 0.06);
        SmoothField bias = new SmoothField(rng, size, 3, 2.0 * Math.max(nx, Math.max(ny, nz)),
                4.0 * Math.max(nx, Math.max(ny, nz)), uniform(rng, 0.25, 0.5));

        // Contrast of this case.
        double blood = uniform(rng, 0.85, 1.15);
        double aortaLevel = blood * uniform(rng, 0.9, 1.1);
        double ventricleLevel = blood * uniform(rng, 0.85, 1.05);
        double wallLevel = uniform(rng, 0.12, 0.25);
        double background = uniform(rng, 0.3, 0.5);
        double lung = uniform(rng, 0.05, 0.12);
        double gamma = uniform(rng, 0.8, 1.25);
        double noise = uniform(rng, 0.04, 0.09);
        double edge = uniform(rng, 0.45, 0.8);
        long noiseSeed = rng.nextLong();

        float[] image = new float[nx * ny * nz];
        byte[] label = new byte[image.length];
        IntStream.range(0, nx).parallel().forEach(i -> {
            Rng voxelRng = new Rng(noiseSeed ^ (0xD1B54A32D192ED03L * (i + 1)));
            for (int j = 0; j < ny; j++) {
                for (int k = 0; k < nz; k++) {
                    double x = i + warp[0].at(i, j, k), y = j + warp[1].at(i, j, k), z = k + warp[2].at(i, j, k);
                    double fAorta = aorta.distance(x, y, z);
                    double fVentricle = ventricle.distance(x, y, z);
                    double f = smoothMin(body.distance(x, y, z), appendage.distance(x, y, z), 4);
                    for (Tube v : veins) {
                        f = smoothMin(f, v.distance(x, y, z), 3);
                    }
                    // Look-alikes dent the target, leaving a wall between them (or none where touching).
                    f = Math.max(f, -(fAorta - wall));
                    f = Math.max(f, -(fVentricle - wall));
                    double pools = Math.min(f, Math.min(fAorta, fVentricle));
                    double bg = background + texture.at(i, j, k);
                    bg += (lung - bg) * occupancy(Math.min(lungL.distance(i, j, k), lungR.distance(i, j, k)), 2.0);
                    double v = bg + (wallLevel - bg) * occupancy(pools - wall, edge);
                    v += (aortaLevel - v) * occupancy(fAorta, edge);
                    v += (ventricleLevel - v) * occupancy(fVentricle, edge);
                    v += (blood - v) * occupancy(f, edge);
                    v = Math.pow(Math.max(v, 0), gamma) * Math.exp(bias.at(i, j, k));
                    double re = v + noise * voxelRng.nextGaussian(), im = noise * voxelRng.nextGaussian();
                    int at = (i * ny + j) * nz + k;
                    image[at] = (float) Math.sqrt(re * re + im * im);
                    label[at] = (byte) (f < 0 ? 1 : 0);
                }
            }
        });
        Volume.zScoreInPlace(image);
        return new CaseData(caseName(index), Volume.ofFloats(size, image), Volume.ofLabels(size, label));
    }

    private static double sq(double v) {
        return v * v;
    }

    /**
     * Writes a PNG of two slices through the label's centre, an axial one (W x H at the central
     * D) and one along D (W x D at the central H), each as the image and the image with the
     * label's contour in red.
     */
    public static void writePreview(Path png, CaseData data) throws IOException {
        Volume img = data.image(), lab = data.label();
        int[] s = img.shape();
        double[] centre = new double[3];
        long count = 0;
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                for (int k = 0; k < s[2]; k++) {
                    if (lab.get(i, j, k) > 0) {
                        centre[0] += i;
                        centre[1] += j;
                        centre[2] += k;
                        count++;
                    }
                }
            }
        }
        int jc = count == 0 ? s[1] / 2 : (int) (centre[1] / count);
        int kc = count == 0 ? s[2] / 2 : (int) (centre[2] / count);
        int zoom = 3, gap = 4;
        int w = 2 * s[0] * zoom + gap, h = (s[1] + s[2]) * zoom + gap;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        // Panel rows: (u, v) -> voxel; u runs along W, v along H (axial) or D.
        for (int panel = 0; panel < 2; panel++) {
            int p = panel;
            int rows = panel == 0 ? s[1] : s[2];
            int y0 = panel == 0 ? 0 : s[1] * zoom + gap;
            for (int side = 0; side < 2; side++) {
                boolean contour = side == 1;
                SliceImage.paint(out, side * (s[0] * zoom + gap), y0, zoom, s[0], rows, (u, v) -> {
                    int j = p == 0 ? v : jc, k = p == 0 ? kc : v;
                    return contour && lab.get(u, j, k) > 0 && onContour(lab, u, j, k, p) ? 0xFF3030
                            : SliceImage.grey(img.get(u, j, k));
                });
            }
        }
        SliceImage.writePng(png, out);
    }

    private static boolean onContour(Volume lab, int i, int j, int k, int panel) {
        int[] s = lab.shape();
        int[][] steps = panel == 0 ? new int[][] {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}}
                : new int[][] {{1, 0, 0}, {-1, 0, 0}, {0, 0, 1}, {0, 0, -1}};
        for (int[] d : steps) {
            int a = i + d[0], b = j + d[1], c = k + d[2];
            if (a < 0 || b < 0 || c < 0 || a >= s[0] || b >= s[1] || c >= s[2] || lab.get(a, b, c) == 0) {
                return true;
            }
        }
        return false;
    }
}
