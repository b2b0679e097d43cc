package org.ducisc.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.ducisc.data.CaseData;
import org.ducisc.data.Dataset;
import org.ducisc.data.Volume;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.SegmentationMetrics;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.nn.VNet;

/**
 * The reference's evaluation of a network on a list of cases: sliding-window prediction at the
 * 0.5 threshold, no post-processing, metrics at unit spacing (method page, section 4).
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** Per-case metrics, in list order. */
    public static List<CaseMetrics> evaluate(VNet net, Dataset dataset, List<String> cases, SlidingWindow window)
            throws IOException {
        List<CaseMetrics> out = new ArrayList<>();
        for (String name : cases) {
            CaseData c = dataset.read(name);
            out.add(SegmentationMetrics.evaluate(predict(net, c.image(), window).labels(), c.label().labels(),
                    c.label().shape()));
        }
        return out;
    }

    /** The 0/1 label map the network predicts for one image. */
    public static Volume predict(VNet net, Volume image, SlidingWindow window) {
        return SlidingWindow.threshold(window.foregroundProbability(net, image), false);
    }

    /** The window of a data set for a training patch: its strides, never longer than the patch side. */
    public static SlidingWindow window(int[] patch, int strideXY, int strideZ) {
        return new SlidingWindow(patch, Math.min(strideXY, Math.min(patch[0], patch[1])), Math.min(strideZ, patch[2]));
    }
}
