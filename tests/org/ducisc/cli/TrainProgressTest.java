package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.ducisc.api.IterationReport;
import org.ducisc.api.ValidationReport;
import org.junit.jupiter.api.Test;

class TrainProgressTest {
    @Test
    void withoutATerminalPrintsPlainLinesAtTheGivenRate() {
        StringWriter text = new StringWriter();
        double[] thresholds = {0.5, 0.5, 0.5, 0.5};
        try (TrainProgress p = new TrainProgress(new PrintWriter(text), "train", 10, 4, false)) {
            // A resumed run: iterations 3..9 (0-based), so lines after 4 and 8 completed, and at the end.
            for (long it = 3; it < 10; it++) {
                p.onIteration(new IterationReport(it + 1, 0.75, 0.5, 0.25, Double.NaN, 0.125, 0.0625, thresholds,
                        thresholds));
            }
            p.onValidation(new ValidationReport(8, 0.8125, true));
        }
        String[] lines = text.toString().split("\n");
        assertEquals(4, lines.length, text.toString());
        assertTrue(lines[0].startsWith("train 4/10  loss 0.7500 sup 0.5000 cons 0.2500 mix 0.1250 mixproto 0.0625  "),
                lines[0]);
        assertTrue(lines[0].matches(".* it/s  ETA \\d+:\\d\\d:\\d\\d"), lines[0]);
        assertTrue(lines[1].startsWith("train 8/10 ") && lines[2].startsWith("train 10/10 "), text.toString());
        assertEquals("train 8: validation Dice 0.8125 (best)", lines[3]);
    }
}
