package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report formats: the reference's printed lines, and JSON / CSV with NaN spelled out. */
class EvaluationTest {
    private static final List<Evaluation.CaseResult> RESULTS = List.of(
            new Evaluation.CaseResult("a", new CaseMetrics(0.9, 0.8181818181818182, 2.0, 0.5), 1.5, 0.25),
            new Evaluation.CaseResult("b,\"c\"", new CaseMetrics(0.7, 0.5384615384615384, Double.NaN, Double.NaN), 2, 0.5));

    @Test
    void linesHaveThePythonFormat() {
        assertEquals("00,\t0.90000, 0.81818, 2.00000, 0.50000", Evaluation.caseLine(0, RESULTS.get(0).metrics()));
        assertEquals("12,\t0.70000, 0.53846, nan, nan", Evaluation.caseLine(12, RESULTS.get(1).metrics()));
        // Population std (numpy's default): |0.9 - 0.7| / 2.
        assertEquals("mean (std):\t0.80000 (0.10000), 0.67832 (0.13986), nan (nan), nan (nan)",
                Evaluation.summaryLine(Evaluation.summarize(RESULTS)));
    }

    @Test
    void csvAndJsonCarryTheSameNumbers() {
        // mean and std as numpy.mean / numpy.std print them for these values.
        assertEquals("index,case,dice,jaccard,hd95,asd,undefined\n"
                + "0,a,0.9,0.8181818181818182,2.0,0.5,0\n"
                + "1,\"b,\"\"c\"\"\",0.7,0.5384615384615384,nan,nan,0\n"
                + ",mean,0.8,0.6783216783216783,nan,nan,0\n"
                + ",std,0.10000000000000003,0.1398601398601399,nan,nan,\n"
                + ",counted,2,2,2,2,\n", Evaluation.toCsv(RESULTS, MetricRules.REFERENCE));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("patch", new int[] {112, 112, 80});
        settings.put("nms", true);
        String json = Evaluation.toJson(settings, RESULTS, MetricRules.REFERENCE);
        assertTrue(json.startsWith("{\n  \"patch\": [112, 112, 80],\n  \"nms\": true,\n  \"metric_rules\": \"reference\",\n"
                + "  \"cases\": [\n"), json);
        assertTrue(json.contains("{\"index\": 1, \"case\": \"b,\\\"c\\\"\", \"dice\": 0.7, \"jaccard\": 0.5384615384615384,"
                + " \"hd95\": null, \"asd\": null, \"undefined\": false, \"inference_seconds\": 2.0,"
                + " \"metrics_seconds\": 0.5}"), json);
        assertTrue(json.contains("\"mean\": {\"dice\": 0.8, \"jaccard\": 0.6783216783216783, \"hd95\": null, \"asd\": null}"),
                json);
    }
}
