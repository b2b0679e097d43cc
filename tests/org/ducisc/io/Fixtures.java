package org.ducisc.io;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The files written by tests/fixtures/make_data_fixtures.py and the values they must hold. */
public final class Fixtures {
    private static Map<String, double[]> expected;

    private Fixtures() {}

    public static Path file(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/data/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " missing: run tests/fixtures/make_data_fixtures.py", e);
        }
    }

    public static synchronized double[] expected(String key) throws IOException {
        if (expected == null) {
            expected = new HashMap<>();
            for (String line : Files.readAllLines(file("expected.txt"))) {
                int eq = line.indexOf(" = ");
                if (eq > 0) {
                    String[] parts = line.substring(eq + 3).trim().split("\\s+");
                    double[] v = new double[parts.length];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Double.parseDouble(parts[i]);
                    }
                    expected.put(line.substring(0, eq).trim(), v);
                }
            }
        }
        double[] v = expected.get(key);
        if (v == null) {
            throw new IllegalStateException("no expected value " + key);
        }
        return v;
    }

    public static double scalar(String key) throws IOException {
        return expected(key)[0];
    }

    public static final int[][] PROBES = {{0, 0, 0}, {12, 10, 6}, {1, 2, 3}, {7, 0, 5}, {3, 9, 1}, {6, 5, 3}};

    public static double sum(Volume v) {
        double s = 0;
        for (int i = 0; i < v.numel(); i++) {
            s += v.isLabels() ? v.labels()[i] & 0xFF : v.floats()[i];
        }
        return s;
    }
}
