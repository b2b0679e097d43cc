package org.ducisc.train;

import java.util.List;
import org.ducisc.autograd.Variable;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;

/**
 * The mean-teacher update of the reference: teacher = a*teacher + (1-a)*student over parameters
 * only (batch-norm buffers are not averaged), with a = min(1 - 1/(iteration+1), decay) and
 * iteration counted from 0, so the first update copies the student.
 */
public final class Ema {
    private Ema() {
    }

    public static double alpha(long iteration, double decay) {
        return Math.min(1.0 - 1.0 / (iteration + 1), decay);
    }

    public static void update(List<Variable> teacher, List<Variable> student, long iteration, double decay) {
        if (teacher.size() != student.size()) {
            throw new IllegalArgumentException("EMA: teacher has " + teacher.size() + " parameters, student "
                    + student.size());
        }
        float a = (float) alpha(iteration, decay);
        try (MemoryScope scope = MemoryScope.open()) {
            for (int i = 0; i < teacher.size(); i++) {
                Tensor t = teacher.get(i).value();
                Elementwise.affineInPlace(t, a, 0f);
                Elementwise.addInPlace(t, Elementwise.scale(student.get(i).value(), 1f - a));
            }
        }
    }
}
