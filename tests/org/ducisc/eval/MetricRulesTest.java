package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Empty masks (issue 14, item 2): the reference's rule kept, undefined cases marked and counted, and
 * MONAI's rule (NaN, left out of the means) available.
 */
class MetricRulesTest {
    private static final int[] SHAPE = {5, 4, 6};

    /** A 2x2x2 cube at (x, y, z). */
    private static byte[] cube(int x, int y, int z) {
        byte[] m = new byte[SHAPE[0] * SHAPE[1] * SHAPE[2]];
        for (int i = x; i < x + 2; i++) {
            for (int j = y; j < y + 2; j++) {
                for (int k = z; k < z + 2; k++) {
                    m[(i * SHAPE[1] + j) * SHAPE[2] + k] = 1;
                }
            }
        }
        return m;
    }

    private static final byte[] EMPTY = new byte[SHAPE[0] * SHAPE[1] * SHAPE[2]];

    @Test
    void referenceRuleKeepsItsNumbersButMarksAndCountsTheEmptyPrediction() {
        CaseMetrics good = MetricRules.REFERENCE.evaluate(cube(1, 1, 1), cube(2, 1, 1), SHAPE, null);
        CaseMetrics empty = MetricRules.REFERENCE.evaluate(EMPTY, cube(2, 1, 1), SHAPE, null);
        assertFalse(good.undefined());
        assertTrue(good.hd95() > 0);
        assertEquals(new CaseMetrics(0, 0, 0, 0, true), empty, "the reference's numbers, marked");
        MetricSummary s = MetricRules.REFERENCE.summarize(List.of(good, empty));
        assertEquals(good.hd95() / 2, s.mean().hd95(), 1e-12, "the empty prediction's 0 is in the mean");
        assertEquals(1, s.undefined());
        assertEquals(2, s.counted(2));
        assertTrue(Evaluation.summaryLine(s).endsWith("\t(1 of 2 cases undefined: empty prediction or ground truth)"),
                Evaluation.summaryLine(s));
        assertTrue(Evaluation.caseLine(1, empty).endsWith("\tundefined (empty prediction or ground truth)"));
        assertFalse(Evaluation.caseLine(0, good).contains("undefined"));
    }

    @Test
    void monaiRuleLeavesUndefinedValuesOutOfTheMeansAndSaysOverHowMany() {
        CaseMetrics good = MetricRules.MONAI.evaluate(cube(1, 1, 1), cube(2, 1, 1), SHAPE, new double[] {1, 2, 0.5});
        assertEquals(MetricRules.REFERENCE.evaluate(cube(1, 1, 1), cube(2, 1, 1), SHAPE, new double[] {1, 2, 0.5}), good,
                "cases with both masks non-empty are the same under both rules");
        CaseMetrics emptyPrediction = MetricRules.MONAI.evaluate(EMPTY, cube(2, 1, 1), SHAPE, null);
        CaseMetrics emptyTruth = MetricRules.MONAI.evaluate(cube(0, 0, 0), EMPTY, SHAPE, null);
        CaseMetrics bothEmpty = MetricRules.MONAI.evaluate(EMPTY, EMPTY, SHAPE, null);
        assertEquals(new CaseMetrics(0, 0, Double.NaN, Double.NaN, true), emptyPrediction);
        assertEquals(new CaseMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, true), emptyTruth);
        assertEquals(new CaseMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, true), bothEmpty);

        MetricSummary s = MetricRules.MONAI.summarize(List.of(good, emptyPrediction, emptyTruth, bothEmpty));
        assertEquals(good.dice() / 2, s.mean().dice(), 1e-12, "dice over the two cases with a ground truth");
        assertEquals(good.hd95(), s.mean().hd95(), 1e-12, "hd95 over the one defined case");
        assertEquals(0, s.std().hd95());
        assertEquals(3, s.undefined());
        assertEquals(List.of(2, 2, 1, 1), List.of(s.counted(0), s.counted(1), s.counted(2), s.counted(3)));
        assertTrue(Evaluation.summaryLine(s).endsWith("\t(3 of 4 cases undefined: empty prediction or ground truth;"
                + " means over dice 2, jaccard 2, hd95 1, asd 1 cases)"), Evaluation.summaryLine(s));
        // No defined value at all: NaN, not an error.
        MetricSummary none = MetricRules.MONAI.summarize(List.of(bothEmpty));
        assertTrue(Double.isNaN(none.mean().dice()) && Double.isNaN(none.std().asd()));
        assertEquals(0, none.counted(0));
    }

    @Test
    void reportsCarryTheMarksAndTheRules() {
        CaseMetrics good = MetricRules.MONAI.evaluate(cube(1, 1, 1), cube(1, 1, 1), SHAPE, null);
        CaseMetrics empty = MetricRules.MONAI.evaluate(EMPTY, cube(1, 1, 1), SHAPE, null);
        List<Evaluation.CaseResult> results = List.of(new Evaluation.CaseResult("a", good, 1, 1),
                new Evaluation.CaseResult("b", empty, 1, 1));
        String csv = Evaluation.toCsv(results, MetricRules.MONAI);
        assertEquals("index,case,dice,jaccard,hd95,asd,undefined\n"
                + "0,a,1.0,1.0,0.0,0.0,0\n"
                + "1,b,0.0,0.0,nan,nan,1\n"
                + ",mean,0.5,0.5,0.0,0.0,1\n"
                + ",std,0.5,0.5,0.0,0.0,\n"
                + ",counted,2,2,1,1,\n", csv);
        String json = Evaluation.toJson(new LinkedHashMap<>(), results, MetricRules.MONAI);
        assertTrue(json.contains("\"metric_rules\": \"monai\""), json);
        assertTrue(json.contains("\"asd\": null, \"undefined\": true,"), json);
        assertTrue(json.contains("\"undefined_cases\": 1,\n  \"counted\": {\"dice\": 2, \"jaccard\": 2, \"hd95\": 1, \"asd\": 1}"),
                json);
        assertEquals("{\"dice\": 0.0, \"jaccard\": 0.0, \"hd95\": 0.0, \"asd\": 0.0, \"undefined\": true,"
                + " \"metric_rules\": \"reference\"}", Evaluation.toJson(CaseMetrics.ZERO, MetricRules.REFERENCE));
    }

    @Test
    void rulesAreParsedByName() {
        assertEquals(MetricRules.MONAI, MetricRules.parse("MONAI"));
        assertEquals(MetricRules.REFERENCE, MetricRules.parse("reference"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricRules.parse("medpy"));
        assertEquals("unknown metric rules 'medpy' (expected reference or monai)", e.getMessage());
    }
}
