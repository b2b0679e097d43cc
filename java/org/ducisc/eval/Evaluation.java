package org.ducisc.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ducisc.core.Counts;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.io.CaseData;
import org.ducisc.io.Json;
import org.ducisc.io.Volume;
import org.ducisc.nn.Module;
import org.ducisc.nn.Predictor;

/**
 * The reference's {@code test_all_case}: sliding-window inference on each listed case of a data set, the
 * 0.5 threshold, optionally the largest connected component, and the four metrics against the case's
 * label at unit spacing (as the reference calls medpy). Also the report formats: the reference's printed
 * lines, and JSON / CSV of the same numbers.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** One evaluated case, with the seconds its inference and its metrics took. */
    public record CaseResult(String name, CaseMetrics metrics, double inferenceSeconds, double metricsSeconds) {
    }

    /** Called after each case, in order; {@code prediction} is its uint8 label map. */
    public interface Listener {
        void caseDone(int index, CaseResult result, Volume prediction) throws IOException;
    }

    /** Evaluates {@code cases} of {@code dataset} in order with a model on its own device, under the reference's metric rules. */
    public static <M extends Module & Predictor> List<CaseResult> run(M model, Dataset dataset, List<String> cases,
                                                                      SlidingWindow window, boolean largestComponent,
                                                                      Listener listener) throws IOException {
        return run(model, model.device(), dataset, cases, window, largestComponent, MetricRules.REFERENCE, listener);
    }

    /** Evaluates {@code cases} of {@code dataset} in order with a model on its own device; {@code rules} decides the metrics of empty masks. */
    public static <M extends Module & Predictor> List<CaseResult> run(M model, Dataset dataset, List<String> cases,
                                                                      SlidingWindow window, boolean largestComponent,
                                                                      MetricRules rules, Listener listener)
            throws IOException {
        return run(model, model.device(), dataset, cases, window, largestComponent, rules, listener);
    }

    /**
     * Evaluates {@code cases} of {@code dataset} in order: each case's image through
     * {@link SlidingWindow#segment} with {@code predictor} on {@code device}, then the four metrics against
     * its label at unit spacing; {@code rules} decides the metrics of empty masks.
     *
     * @param listener called after each case (may be null)
     * @throws IllegalArgumentException for an empty case list, or a case the sliding window rejects (the
     *                                  message names the case)
     * @throws IOException              a case cannot be read
     */
    public static List<CaseResult> run(Predictor predictor, Device device, Dataset dataset, List<String> cases,
                                       SlidingWindow window, boolean largestComponent, MetricRules rules,
                                       Listener listener) throws IOException {
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("no cases to evaluate in " + dataset);
        }
        List<CaseResult> results = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            CaseData data = dataset.read(cases.get(i));
            long t0 = System.nanoTime();
            Volume prediction = segment(predictor, device, window, data.name(), data.image(), largestComponent);
            long t1 = System.nanoTime();
            CaseMetrics m = rules.evaluate(prediction.labels(), data.label().labels(), prediction.shape(), null);
            long t2 = System.nanoTime();
            CaseResult r = new CaseResult(data.name(), m, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
            results.add(r);
            if (listener != null) {
                listener.caseDone(i, r, prediction);
            }
        }
        return results;
    }

    /** Receives each unscored case's label map (uint8, in the image's geometry). */
    public interface PredictionListener {
        void predicted(String name, Volume prediction) throws IOException;
    }

    /**
     * Segments {@code cases} of {@code dataset} that have no label (their images only, read as
     * {@link Dataset#readImage} gives them), in order: the same sliding window and threshold as {@link #run}.
     *
     * @throws IllegalArgumentException a case the sliding window rejects (the message names the case)
     */
    public static void predict(Predictor predictor, Device device, Dataset dataset, List<String> cases,
                               SlidingWindow window, boolean largestComponent, PredictionListener listener)
            throws IOException {
        for (String name : cases) {
            listener.predicted(name, segment(predictor, device, window, name, dataset.readImage(name), largestComponent));
        }
    }

    /** The label map of one case, naming the case in a sliding-window error. */
    private static Volume segment(Predictor predictor, Device device, SlidingWindow window, String name, Volume image,
                                  boolean largestComponent) {
        try {
            return window.segment(predictor, device, image, largestComponent).labels();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("case " + name + ": " + e.getMessage(), e);
        }
    }

    /** The summary of the results' metrics under the reference's rules (population standard deviation, as numpy). */
    public static MetricSummary summarize(List<CaseResult> results) {
        return summarize(results, MetricRules.REFERENCE);
    }

    /** The summary of the results' metrics under {@code rules}. */
    public static MetricSummary summarize(List<CaseResult> results, MetricRules rules) {
        return rules.summarize(results.stream().map(CaseResult::metrics).toList());
    }

    /**
     * The reference's per-case line: {@code '%02d,\t%.5f, %.5f, %.5f, %.5f' % (ith, dice, jc, hd95, asd)},
     * followed by {@code \tundefined (empty prediction or ground truth)} for a case marked undefined.
     */
    public static String caseLine(int index, CaseMetrics m) {
        return String.format(Locale.ROOT, "%02d,\t%s", index, fiveDigits(m)) + (m.undefined() ? "\t" + UNDEFINED : "");
    }

    private static final String UNDEFINED = "undefined (empty prediction or ground truth)";

    /**
     * The closing line: each metric's mean with its standard deviation in brackets, in the per-case order;
     * then, when some case is undefined, how many, and for means that leave cases out (MONAI's rule) how
     * many cases each is over.
     */
    public static String summaryLine(MetricSummary s) {
        StringBuilder b = new StringBuilder("mean (std):\t");
        for (int m = 0; m < CaseMetrics.COUNT; m++) {
            b.append(m == 0 ? "" : ", ").append(py5(s.mean().get(m))).append(" (").append(py5(s.std().get(m))).append(')');
        }
        String note = undefinedNote(s);
        return b.append(note.isEmpty() ? "" : "\t" + note).toString();
    }

    /**
     * "" when every case is defined; otherwise {@code "(U of N cases undefined ...)"}, with the number of
     * cases each mean is over when a mean leaves some out.
     */
    public static String undefinedNote(MetricSummary s) {
        if (s.undefined() == 0 && !s.excludesCases()) {
            return "";
        }
        StringBuilder b = new StringBuilder("(").append(s.undefined()).append(" of ")
                .append(Counts.of(s.cases(), "case")).append(" undefined: empty prediction or ground truth");
        if (s.excludesCases()) {
            b.append("; means over");
            for (int m = 0; m < CaseMetrics.COUNT; m++) {
                b.append(m == 0 ? " " : ", ").append(METRIC_NAMES.get(m)).append(' ').append(s.counted(m));
            }
            b.append(" cases"); // a list of counts: "means over dice 2, jaccard 2, hd95 1, asd 1 cases"
        }
        return b.append(')').toString();
    }

    /** Names of the metrics in {@link CaseMetrics} order, as the JSON and CSV spell them. */
    public static final List<String> METRIC_NAMES = List.of("dice", "jaccard", "hd95", "asd");

    /**
     * The results as one JSON object: {@code settings} (string or number values, in order), then
     * {@code metric_rules}, {@code cases} (index, case, the four metrics, undefined, seconds), {@code mean},
     * {@code std}, {@code undefined_cases} and {@code counted} (per metric, the cases its mean is over). A NaN
     * metric (see {@link MetricRules} for when one appears) is written as null.
     */
    public static String toJson(Map<String, Object> settings, List<CaseResult> results, MetricRules rules) {
        MetricSummary s = summarize(results, rules);
        Map<String, Object> doc = new LinkedHashMap<>(settings);
        doc.put("metric_rules", rules.label());
        List<Object> cases = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            CaseResult r = results.get(i);
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("index", i);
            c.put("case", r.name());
            c.putAll(metricsMap(r.metrics()));
            c.put("undefined", r.metrics().undefined());
            c.put("inference_seconds", r.inferenceSeconds());
            c.put("metrics_seconds", r.metricsSeconds());
            cases.add(c);
        }
        doc.put("cases", cases);
        doc.put("mean", metricsMap(s.mean()));
        doc.put("std", metricsMap(s.std()));
        doc.put("undefined_cases", s.undefined());
        Map<String, Object> counted = new LinkedHashMap<>();
        for (int m = 0; m < CaseMetrics.COUNT; m++) {
            counted.put(METRIC_NAMES.get(m), s.counted(m));
        }
        doc.put("counted", counted);
        return Json.write(doc, Json.Layout.INDENTED) + "\n";
    }

    /**
     * JSON of the four metrics and the mark: {@code {"dice": ..., "jaccard": ..., "hd95": ..., "asd": ...,
     * "undefined": false, "metric_rules": "reference"}}.
     */
    public static String toJson(CaseMetrics m, MetricRules rules) {
        Map<String, Object> doc = metricsMap(m);
        doc.put("undefined", m.undefined());
        doc.put("metric_rules", rules.label());
        return Json.write(doc, Json.Layout.ONE_LINE);
    }

    /**
     * The results as CSV: header {@code index,case,dice,jaccard,hd95,asd,undefined}, one row per case
     * (undefined 1 or 0), then rows {@code mean} (its undefined field: the number of undefined cases),
     * {@code std} and {@code counted} (the cases each mean is over) with an empty index. A NaN metric is
     * written as {@code nan}.
     */
    public static String toCsv(List<CaseResult> results, MetricRules rules) {
        MetricSummary s = summarize(results, rules);
        StringBuilder b = new StringBuilder("index,case,").append(String.join(",", METRIC_NAMES)).append(",undefined\n");
        for (int i = 0; i < results.size(); i++) {
            CaseMetrics m = results.get(i).metrics();
            b.append(i).append(',').append(csvField(results.get(i).name())).append(',')
                    .append(metricsCsv(m)).append(',').append(m.undefined() ? 1 : 0).append('\n');
        }
        b.append(",mean,").append(metricsCsv(s.mean())).append(',').append(s.undefined()).append('\n');
        b.append(",std,").append(metricsCsv(s.std())).append(",\n");
        b.append(",counted");
        for (int m = 0; m < CaseMetrics.COUNT; m++) {
            b.append(',').append(s.counted(m));
        }
        return b.append(",\n").toString();
    }

    private static String fiveDigits(CaseMetrics m) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < CaseMetrics.COUNT; i++) {
            b.append(i == 0 ? "" : ", ").append(py5(m.get(i)));
        }
        return b.toString();
    }

    /** Python's {@code '%.5f'}, which prints NaN as "nan". */
    private static String py5(double v) {
        return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.5f", v);
    }

    private static Map<String, Object> metricsMap(CaseMetrics m) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < CaseMetrics.COUNT; i++) {
            map.put(METRIC_NAMES.get(i), m.get(i));
        }
        return map;
    }

    private static String metricsCsv(CaseMetrics m) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < CaseMetrics.COUNT; i++) {
            double v = m.get(i);
            b.append(i == 0 ? "" : ",").append(Double.isNaN(v) ? "nan" : Double.toString(v));
        }
        return b.toString();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
