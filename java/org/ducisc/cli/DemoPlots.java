package org.ducisc.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ducisc.io.SliceImage;
import org.ducisc.io.Volume;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's PNG figures: line charts by XChart, slices drawn with java.awt (headless). */
final class DemoPlots {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private static final int WIDTH = 960;
    private static final int PANEL = 330;

    private DemoPlots() {
    }

    /** One line of a chart. */
    record Series(String name, double[] x, double[] y, boolean dashed) {
    }

    /** A metrics.csv as columns by header name; empty cells are NaN. */
    static Map<String, double[]> readMetrics(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        String[] header = lines.get(0).split(",");
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (String h : header) {
            columns.put(h, new double[lines.size() - 1]);
        }
        for (int r = 1; r < lines.size(); r++) {
            String[] cells = lines.get(r).split(",", -1);
            for (int c = 0; c < header.length; c++) {
                columns.get(header[c])[r - 1] = cells[c].isEmpty() ? Double.NaN : Double.parseDouble(cells[c]);
            }
        }
        return columns;
    }

    /** Loss terms of both runs (top) and DuCiSC's 8 thresholds (bottom) over the iterations. */
    static void training(Path png, Map<String, double[]> ducisc, Map<String, double[]> supervised) throws IOException {
        double[] it = ducisc.get("iteration");
        List<Series> losses = new ArrayList<>();
        for (String term : List.of("loss", "sup", "cons", "proto", "mix", "mixproto")) {
            losses.add(new Series("DuCiSC " + term, it, ducisc.get(term), false));
        }
        losses.add(new Series("baseline sup", supervised.get("iteration"), supervised.get("sup"), true));
        List<Series> thresholds = new ArrayList<>();
        for (String cls : List.of("bg", "fg")) {
            for (int level = 0; level < 4; level++) {
                String name = "thr_" + cls + "_" + level;
                thresholds.add(new Series(name, it, ducisc.get(name), cls.equals("bg")));
            }
        }
        BufferedImage img = new BufferedImage(WIDTH, 2 * PANEL, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.drawImage(chart("loss terms (smoothed over 10 iterations)", smooth(losses, 10)), 0, 0, null);
        g.drawImage(chart("self-aware thresholds (bg dashed, fg solid; level 0 = coarsest)", thresholds), 0, PANEL, null);
        g.dispose();
        SliceImage.writePng(png, img);
    }

    /** A case's slice through the most label: image | ground truth | each prediction, overlaid in colour. */
    record Overlay(String caseName, Volume image, Volume truth, List<String> names, List<Volume> predictions) {
    }

    static void overlays(Path png, List<Overlay> rows) throws IOException {
        int[] s = rows.get(0).image().shape();
        int zoom = Math.max(3, 200 / s[0]); // wide enough for the titles
        int columns = 2 + rows.get(0).predictions().size();
        int cellW = s[0] * zoom + 8;
        int cellH = s[1] * zoom + 24;
        BufferedImage img = new BufferedImage(columns * cellW, rows.size() * cellH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        for (int r = 0; r < rows.size(); r++) {
            Overlay o = rows.get(r);
            int k = fullestSlice(o.truth());
            List<String> titles = new ArrayList<>(List.of(o.caseName() + " z=" + k, "ground truth"));
            titles.addAll(o.names());
            for (int c = 0; c < columns; c++) {
                Volume mask = c == 0 ? null : c == 1 ? o.truth() : o.predictions().get(c - 2);
                int colour = c == 1 ? 0x30d030 : 0xff3030;
                int x0 = c * cellW;
                int y0 = r * cellH + 20;
                SliceImage.paint(img, x0, y0, zoom, s[0], s[1], (i, j) -> {
                    int grey = SliceImage.grey(o.image().get(i, j, k));
                    return mask != null && mask.labels()[mask.index(i, j, k)] != 0 ? blend(grey, colour) : grey;
                });
                g.setColor(Color.BLACK);
                g.drawString(titles.get(c), x0 + 2, y0 - 6);
            }
        }
        g.dispose();
        SliceImage.writePng(png, img);
    }

    private static int blend(int grey, int colour) {
        int r = (((grey >> 16) & 0xff) + 2 * ((colour >> 16) & 0xff)) / 3;
        int gr = (((grey >> 8) & 0xff) + 2 * ((colour >> 8) & 0xff)) / 3;
        int b = ((grey & 0xff) + 2 * (colour & 0xff)) / 3;
        return r << 16 | gr << 8 | b;
    }

    private static int fullestSlice(Volume label) {
        int[] s = label.shape();
        int best = s[2] / 2;
        long most = -1;
        for (int k = 0; k < s[2]; k++) {
            long n = 0;
            for (int i = 0; i < s[0]; i++) {
                for (int j = 0; j < s[1]; j++) {
                    n += label.labels()[label.index(i, j, k)] != 0 ? 1 : 0;
                }
            }
            if (n > most) {
                most = n;
                best = k;
            }
        }
        return best;
    }

    private static List<Series> smooth(List<Series> series, int window) {
        List<Series> out = new ArrayList<>();
        for (Series s : series) {
            double[] y = new double[s.y().length];
            for (int i = 0; i < y.length; i++) {
                double sum = 0;
                int n = 0;
                for (int j = Math.max(0, i - window + 1); j <= i; j++) {
                    if (!Double.isNaN(s.y()[j])) {
                        sum += s.y()[j];
                        n++;
                    }
                }
                y[i] = n == 0 || Double.isNaN(s.y()[i]) ? Double.NaN : sum / n;
            }
            out.add(new Series(s.name(), s.x(), y, s.dashed()));
        }
        return out;
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    /**
     * A line chart of {@code series} over the iterations, PANEL pixels high, legend on the right, drawn
     * by XChart; NaN points are gaps, and a series without a finite point is left out.
     */
    private static BufferedImage chart(String title, List<Series> series) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(PANEL).title(title).xAxisTitle("iteration").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(false);
        chart.getStyler().setYAxisDecimalPattern("0.###");
        for (int n = 0; n < series.size(); n++) {
            Series s = series.get(n);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            boolean any = false;
            for (int i = 0; i < s.x().length; i++) {
                x.add(s.x()[i]);
                y.add(Double.isFinite(s.y()[i]) ? s.y()[i] : null);
                any |= Double.isFinite(s.y()[i]);
            }
            if (!any) {
                continue;
            }
            XYSeries line = chart.addSeries(s.name(), x, y);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(PALETTE[n % PALETTE.length]);
            line.setLineStyle(s.dashed() ? SeriesLines.DASH_DASH : SeriesLines.SOLID);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }
}
