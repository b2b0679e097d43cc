package org.ducisc.api;

import java.util.List;
import java.util.Map;
import org.ducisc.eval.Evaluation;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.MetricSummary;

/**
 * What {@link Segmenter#evaluate} gives: each case's metrics (Dice, Jaccard, HD95 and ASD in voxels, with
 * the seconds its inference and its metrics took) and their summary under the rules it was scored by.
 *
 * @param cases the cases in the order evaluated
 * @param rules how cases with an empty prediction or ground truth were scored and summarised
 */
public record EvaluationReport(List<Evaluation.CaseResult> cases, MetricRules rules) {
    public EvaluationReport {
        cases = List.copyOf(cases);
    }

    /** Per metric the mean and population standard deviation over the cases, and the undefined cases ({@link MetricSummary}). */
    public MetricSummary summary() {
        return Evaluation.summarize(cases, rules);
    }

    /** The reference's closing line, {@code mean (std):\t...} ({@link Evaluation#summaryLine}). */
    public String summaryLine() {
        return Evaluation.summaryLine(summary());
    }

    /** The report as JSON, {@code settings} first ({@link Evaluation#toJson(Map, List, MetricRules)}). */
    public String toJson(Map<String, Object> settings) {
        return Evaluation.toJson(settings, cases, rules);
    }

    /** The report as CSV ({@link Evaluation#toCsv}). */
    public String toCsv() {
        return Evaluation.toCsv(cases, rules);
    }
}
