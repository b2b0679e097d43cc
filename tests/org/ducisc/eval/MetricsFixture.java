package org.ducisc.eval;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reader of fixtures/metrics_fixture.bin, written by tests/fixtures/make_metrics_fixture.py (format there). */
final class MetricsFixture {
    static final String RESOURCE = "/fixtures/metrics_fixture.bin";
    private static final int VERSION = 1;

    record MetricCase(String name, int[] shape, double[] spacing, byte[] prediction, byte[] truth,
            CaseMetrics scipy) {
    }

    record EdtCase(String name, int[] shape, double[] spacing, byte[] mask, double[] scipy) {
    }

    final List<MetricCase> metricCases = new ArrayList<>();
    final List<EdtCase> edtCases = new ArrayList<>();

    private MetricsFixture(ByteBuffer in) {
        byte[] magic = new byte[4];
        in.get(magic);
        if (!"DMFX".equals(new String(magic, StandardCharsets.US_ASCII))) {
            throw new IllegalStateException(RESOURCE + ": bad magic");
        }
        int version = in.getInt();
        if (version != VERSION) {
            throw new IllegalStateException(RESOURCE + ": version " + version + ", expected " + VERSION);
        }
        for (int c = in.getInt(); c > 0; c--) {
            String name = name(in);
            int[] shape = {in.getInt(), in.getInt(), in.getInt()};
            double[] spacing = {in.getDouble(), in.getDouble(), in.getDouble()};
            byte[] prediction = unpack(in, shape);
            byte[] truth = unpack(in, shape);
            CaseMetrics m = new CaseMetrics(in.getDouble(), in.getDouble(), in.getDouble(), in.getDouble());
            metricCases.add(new MetricCase(name, shape, spacing, prediction, truth, m));
        }
        for (int c = in.getInt(); c > 0; c--) {
            String name = name(in);
            int[] shape = {in.getInt(), in.getInt(), in.getInt()};
            double[] spacing = {in.getDouble(), in.getDouble(), in.getDouble()};
            byte[] mask = unpack(in, shape);
            double[] edt = new double[mask.length];
            in.asDoubleBuffer().get(edt);
            in.position(in.position() + 8 * edt.length);
            edtCases.add(new EdtCase(name, shape, spacing, mask, edt));
        }
        if (in.hasRemaining()) {
            throw new IllegalStateException(RESOURCE + ": " + in.remaining() + " trailing bytes");
        }
    }

    static MetricsFixture load() {
        try (InputStream s = MetricsFixture.class.getResourceAsStream(RESOURCE)) {
            if (s == null) {
                throw new IllegalStateException(RESOURCE + " not on the test classpath");
            }
            return new MetricsFixture(ByteBuffer.wrap(s.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String name(ByteBuffer in) {
        byte[] raw = new byte[in.getInt()];
        in.get(raw);
        return new String(raw, StandardCharsets.UTF_8);
    }

    /** numpy.packbits(..., bitorder="little"): voxel i is bit i % 8 of byte i / 8. */
    private static byte[] unpack(ByteBuffer in, int[] shape) {
        int n = shape[0] * shape[1] * shape[2];
        byte[] packed = new byte[(n + 7) / 8];
        in.get(packed);
        byte[] mask = new byte[n];
        for (int i = 0; i < n; i++) {
            mask[i] = (byte) ((packed[i >> 3] >> (i & 7)) & 1);
        }
        return mask;
    }
}
