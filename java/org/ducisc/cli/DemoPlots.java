package org.ducisc.cli;

import java.awt.BasicStroke;
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
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.ducisc.io.FileBytes;
import org.ducisc.io.Volume;

/** The demo's PNG figures, drawn with java.awt (headless). */
final class DemoPlots {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private static final int WIDTH = 960;
    private static final int PANEL = 330;
    private static final int MARGIN = 60;

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
        chart(g, 0, "loss terms (smoothed over 10 iterations)", smooth(losses, 10));
        chart(g, PANEL, "self-aware thresholds (bg dashed, fg solid; level 0 = coarsest)", thresholds);
        g.dispose();
        write(png, img);
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
                Color colour = c == 1 ? new Color(0x30d030) : new Color(0xff3030);
                int x0 = c * cellW;
                int y0 = r * cellH + 20;
                for (int i = 0; i < s[0]; i++) {
                    for (int j = 0; j < s[1]; j++) {
                        int grey = (int) Math.max(0, Math.min(255, (o.image().get(i, j, k) + 2.0) / 5.5 * 255));
                        int rgb = grey * 0x010101;
                        if (mask != null && mask.labels()[mask.index(i, j, k)] != 0) {
                            rgb = blend(rgb, colour.getRGB());
                        }
                        g.setColor(new Color(rgb));
                        g.fillRect(x0 + i * zoom, y0 + (s[1] - 1 - j) * zoom, zoom, zoom);
                    }
                }
                g.setColor(Color.BLACK);
                g.drawString(titles.get(c), x0 + 2, y0 - 6);
            }
        }
        g.dispose();
        write(png, img);
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

    /** A line chart in the band [top, top + PANEL), legend on the right. */
    private static void chart(Graphics2D g, int top, String title, List<Series> series) {
        double xMin = Double.POSITIVE_INFINITY, xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    xMin = Math.min(xMin, s.x()[i]);
                    xMax = Math.max(xMax, s.x()[i]);
                    yMin = Math.min(yMin, s.y()[i]);
                    yMax = Math.max(yMax, s.y()[i]);
                }
            }
        }
        if (!(xMax > xMin)) {
            xMax = xMin + 1;
        }
        if (!(yMax > yMin)) {
            yMax = yMin + 1e-3;
        }
        int left = MARGIN, right = WIDTH - 230, y0 = top + 30, y1 = top + PANEL - 40;
        g.setColor(Color.BLACK);
        g.drawString(title, left, top + 18);
        g.drawRect(left, y0, right - left, y1 - y0);
        for (int t = 0; t <= 4; t++) {
            double yv = yMin + (yMax - yMin) * t / 4;
            int py = (int) Math.round(y1 - (y1 - y0) * t / 4.0);
            g.drawString(String.format(Locale.ROOT, "%.3g", yv), 4, py + 4);
            double xv = xMin + (xMax - xMin) * t / 4;
            int px = (int) Math.round(left + (right - left) * t / 4.0);
            g.drawString(String.format(Locale.ROOT, "%.0f", xv), px - 10, y1 + 16);
        }
        g.drawString("iteration", (left + right) / 2 - 20, y1 + 32);
        for (int n = 0; n < series.size(); n++) {
            Series s = series.get(n);
            Color c = PALETTE[n % PALETTE.length];
            g.setColor(c);
            g.setStroke(s.dashed() ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f,
                    new float[] {6f, 4f}, 0f) : new BasicStroke(1.5f));
            int px = -1, py = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    px = -1;
                    continue;
                }
                int qx = (int) Math.round(left + (right - left) * (s.x()[i] - xMin) / (xMax - xMin));
                int qy = (int) Math.round(y1 - (y1 - y0) * (s.y()[i] - yMin) / (yMax - yMin));
                if (px >= 0) {
                    g.drawLine(px, py, qx, qy);
                }
                px = qx;
                py = qy;
            }
            g.drawLine(right + 12, y0 + 10 + 18 * n, right + 36, y0 + 10 + 18 * n);
            g.setStroke(new BasicStroke(1f));
            g.drawString(s.name(), right + 42, y0 + 14 + 18 * n);
        }
        g.setColor(Color.BLACK);
    }

    private static void write(Path png, BufferedImage img) throws IOException {
        FileBytes.writeAtomicallyTo(png, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }
}
