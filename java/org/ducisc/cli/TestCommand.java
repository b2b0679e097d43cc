package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ducisc.api.EvaluationReport;
import org.ducisc.api.Segmenter;
import org.ducisc.core.Counts;
import org.ducisc.data.Dataset;
import org.ducisc.eval.Evaluation;
import org.ducisc.eval.MetricRules;
import org.ducisc.io.FileBytes;
import org.ducisc.io.Nifti;
import org.ducisc.io.OutputPaths;
import org.ducisc.io.StagedFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ducisc test}: the reference's test script, with machine-readable results. */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = {"Evaluates a checkpoint on the test list of a data set as the reference does: sliding-window"
            + " inference, prediction = foreground probability > 0.5 (optionally its largest component), Dice, Jaccard,"
            + " HD95 and ASD per case at unit spacing.",
            "Prints one line per case ('%%02d,<TAB>dice, jaccard, hd95, asd', the reference's) and a 'mean (std)' line;"
                + " writes the same numbers to PREFIX.json and PREFIX.csv."})
final class TestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    InferenceOptions inference;

    @Option(names = {"--dataset-name", "--dataset_name"}, defaultValue = "LA", description = "LA, Pancreas or IAN (default ${DEFAULT-VALUE}).")
    String datasetName;

    @Option(names = {"--root-path", "--root_path"}, required = true, description = "Folder holding the data set folder (or the data set folder itself), or an MSD / nnU-Net v2 NIfTI folder (imagesTr/, labelsTr/, imagesTs/).")
    Path rootPath;

    @Option(names = "--list", description = "Case list to evaluate (default: the data set's test.list).")
    Path list;

    @Option(names = "--report", paramLabel = "PREFIX", description = "Writes the per-case metrics to PREFIX.json and PREFIX.csv (default: <checkpoint name>_test_cases beside the checkpoint, e.g. last_test_cases).")
    Path report;

    @Option(names = {"--save-predictions", "--save_predictions"}, paramLabel = "DIR", description = "Also write each case's label map as DIR/<case>_pred.nii.gz (uint8).")
    Path savePredictions;

    @Option(names = "--metric-rules", defaultValue = "reference", paramLabel = "RULES",
            description = "Metrics of cases with an empty prediction or ground truth: reference (the authors' code: an"
                + " empty prediction scores 0 on all four) or monai (NaN, left out of the means); either way such cases"
                + " are marked and counted (default ${DEFAULT-VALUE}).")
    String metricRules;

    @Override
    public Integer call() throws IOException {
        MetricRules.parse(metricRules); // a bad --metric-rules fails before any work
        PrintWriter out = spec.commandLine().getOut();
        inference.selectDevice(out);
        Dataset dataset = Dataset.open(datasetName, rootPath);
        inference.checkWindowFlags();
        List<String> cases = list == null ? dataset.testCases() : dataset.readList(list);
        List<String> unscored = list == null ? new ArrayList<>(dataset.testImages()) : new ArrayList<>();
        unscored.removeAll(cases); // a NIfTI folder's test images without labelsTs: predictions only
        Path predictions = savePredictions != null || unscored.isEmpty() ? savePredictions
                : inference.checkpoint.toAbsolutePath().resolveSibling("predictions");
        Path base = report != null ? report : defaultReport(inference.checkpoint);
        Path json = base.resolveSibling(base.getFileName() + ".json");
        Path csv = base.resolveSibling(base.getFileName() + ".csv");
        OutputPaths.requireDistinct(List.of(new OutputPaths.Labeled("--checkpoint", inference.checkpoint),
                new OutputPaths.Labeled("--list", list)), List.of(new OutputPaths.Labeled("--report", json),
                new OutputPaths.Labeled("--report", csv)));
        // The data set's own kind (a NIfTI folder is one whatever --dataset-name says) gives the default window.
        try (Segmenter segmenter = inference.segmenter(dataset.kind().name());
             StagedFolder staged = predictions == null ? null : StagedFolder.in(predictions)) {
            // The label maps are staged, and appear only once every case and both reports are written.
            InferenceOptions.checkWritable(json);
            InferenceOptions.checkWritable(csv);
            out.printf("test: %s of %s, %s, %s%n", Counts.of(cases.size(), "case"), dataset.dir(), InferenceOptions.describeWindow(segmenter),
                    inference.largestComponent ? "largest component" : "no post-processing");
            if (!unscored.isEmpty()) {
                segmenter.segmentCases(rootPath, datasetName, unscored, (name, prediction) -> {
                    Nifti.write(staged.root().resolve(name + "_pred.nii.gz"), prediction);
                    out.println(name + ": no label, prediction written to " + predictions.resolve(name + "_pred.nii.gz"));
                    out.flush();
                });
            }
            if (cases.isEmpty() && !unscored.isEmpty()) {
                staged.commit();
                return 0;
            }
            out.println("#,\tdice, jaccard, hd95, asd");
            out.flush();
            EvaluationReport results = segmenter.evaluate(rootPath, datasetName, cases, metricRules, (i, r, prediction) -> {
                out.println(Evaluation.caseLine(i, r.metrics()));
                out.flush();
                if (staged != null) {
                    Nifti.write(staged.root().resolve(r.name() + "_pred.nii.gz"), prediction);
                }
            });
            out.println(results.summaryLine());
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("dataset", dataset.layout());
            settings.put("data", dataset.dir().toString());
            settings.put("checkpoint", inference.checkpoint.toString());
            settings.put("patch", segmenter.patch());
            settings.put("stride_xy", segmenter.strides()[0]);
            settings.put("stride_z", segmenter.strides()[1]);
            settings.put("nms", inference.largestComponent);
            FileBytes.writeText(json, results.toJson(settings));
            FileBytes.writeText(csv, results.toCsv());
            if (staged != null) {
                staged.commit();
            }
            out.println("results: " + json + ", " + csv);
            out.flush();
        }
        return 0;
    }

    /**
     * The report prefix beside {@code checkpoint} when no --report is given: its file name without the extension
     * and {@code _test_cases} (last.safetensors -> last_test_cases), so two checkpoints of one run keep their own
     * per-case reports beside training's summary, test_metrics.csv.
     */
    static Path defaultReport(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        int dot = name.indexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return checkpoint.toAbsolutePath().resolveSibling(stem + "_test_cases");
    }
}
