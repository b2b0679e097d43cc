package org.ducisc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.ducisc.api.SeedSweepResult;
import org.ducisc.api.SeedSweepRun;
import org.ducisc.api.TrainingConfig;
import org.ducisc.api.TrainingResult;
import org.ducisc.api.TrainingRun;
import org.ducisc.core.ExistingRunException;
import org.ducisc.runtime.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains DuCiSC or a baseline; the reference's option spellings work too. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train DuCiSC (or a baseline) on a data set.")
final class TrainCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** Every default below is the configuration object's (written once, in {@link TrainingConfig.Builder}). */
    private static final TrainingConfig D = TrainingConfig.DEFAULTS;

    @Option(names = {"--dataset-name", "--dataset_name"}, description = "LA, Pancreas or IAN (default ${DEFAULT-VALUE}).")
    String datasetName = D.dataset();

    @Option(names = {"--root-path", "--root_path"}, required = true, description = "Folder holding the data set folder (or the data set folder itself), or an MSD / nnU-Net v2 NIfTI folder (imagesTr/, labelsTr/, imagesTs/).")
    Path rootPath;

    @Option(names = "--labelnum", description = "Labeled training cases: the first N of train.list, or of a NIfTI folder's sorted labeled images (default ${DEFAULT-VALUE}).")
    int labelnum = D.labelnum();

    @Option(names = {"--max-iterations", "--max_iterations", "--max_iteration"}, description = "Iterations (default ${DEFAULT-VALUE}).")
    long maxIterations = D.maxIterations();

    @Option(names = "--seed", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed = D.seed();

    @Option(names = "--seeds", split = ",", paramLabel = "S1,S2,...", description = "Several runs, one per seed (sub-folders seed_N of --out), then mean and standard deviation over seeds; replaces --seed.")
    java.util.List<Long> seeds;

    @Option(names = "--out", description = "Run folder (default ${DEFAULT-VALUE}).")
    Path runDir = D.output();

    @Option(names = "--overwrite", description = "Discard the run already in --out (its checkpoints, state, metrics and log) and start anew; without it such a folder is refused.")
    boolean overwrite;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the interrupted run in DIR (its run folder; --out is then ignored) with the same settings.")
    Path resume;

    @Option(names = "--method", description = "ducisc, supervised (the plain supervised loss), supervised-matched (DuCiSC without its unlabeled terms: labeled cases only, DuCiSC's loss normalisation) or mean-teacher (default ${DEFAULT-VALUE}).")
    String method = D.method();

    @Option(names = {"--base-filters", "--base_filters"}, description = "V-Net base filters (default ${DEFAULT-VALUE}).")
    int baseFilters = D.baseFilters();

    @Option(names = "--patch", description = "Patch W,H,D (default: the data set's).")
    String patch;

    @Option(names = "--no-pad", description = "No zero padding in the training crop: every side of every training volume must then exceed the patch.")
    boolean noPad = !D.padding();

    @Option(names = {"--warmup", "--consistency-rampup"}, description = "Iterations before the unlabeled terms (default ${DEFAULT-VALUE}).")
    long warmup = D.warmup();

    @Option(names = {"--lamda-teacher", "--lamda_teacher"}, description = "(default ${DEFAULT-VALUE})") double lamdaTeacher = D.lambdaTeacher();
    @Option(names = {"--lamda-proto", "--lamda_proto"}, description = "(default ${DEFAULT-VALUE})") double lamdaProto = D.lambdaProto();
    @Option(names = {"--lamda-mix", "--lamda_mix"}, description = "(default ${DEFAULT-VALUE})") double lamdaMix = D.lambdaMix();
    @Option(names = {"--lamda-mix-proto", "--lamda_mix_proto"}, description = "(default ${DEFAULT-VALUE})") double lamdaMixProto = D.lambdaMixProto();

    @Option(names = "--proto-levels", description = "Coarsest feature levels aligned (default ${DEFAULT-VALUE}).")
    int protoLevels = D.protoLevels();

    @Option(names = "--no-proto", description = "Ablation: no prototype alignment.")
    boolean noProto = !D.prototypes();

    @Option(names = "--no-mix", description = "Ablation: no volume fusion.")
    boolean noMix = !D.fusion();

    @Option(names = "--fixed-threshold", description = "Ablation: a fixed confidence threshold instead of the self-aware ones.")
    Double fixedThreshold = D.fixedThreshold();

    @Option(names = {"--base-lr", "--base_lr"}, description = "(default ${DEFAULT-VALUE})") double lr = D.learningRate();

    @Option(names = "--ema-decay", description = "(default ${DEFAULT-VALUE})") double emaDecay = D.emaDecay();

    @Option(names = "--checkpoint-every", description = "Periodic checkpoints (default ${DEFAULT-VALUE}; 0 = only last).")
    long checkpointEvery = D.checkpointEvery();

    @Option(names = "--val-start", description = "First validation after this many iterations (default ${DEFAULT-VALUE}).")
    long valStart = D.validationStart();

    @Option(names = "--val-every", description = "Iterations between validations (default ${DEFAULT-VALUE}; 0 = none).")
    long valEvery = D.validationEvery();

    @Option(names = "--val-list", paramLabel = "FILE", description = "Select best.safetensors on these cases instead of the test list (as the reference does); in a NIfTI folder they are held out of training (default there: its validation.list).")
    Path valList = D.validationList();

    @Option(names = "--metric-rules", paramLabel = "RULES",
            description = "Metrics of empty predictions or ground truths in validation and the test report: reference"
                + " (an empty prediction scores 0) or monai (NaN, left out of the means) (default ${DEFAULT-VALUE}).")
    String metricRules = D.metricRules();

    @Option(names = "--device", description = "auto, cpu, cuda, cuda:N or cuda-emu (the emulated CUDA device) (default ${DEFAULT-VALUE}: CUDA when it works, else the CPU).")
    String device = D.device();

    @Option(names = "--gpu", description = "The reference's spelling of --device cuda:N.")
    Integer gpu;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Backends.Selection selection = Options.selectDevice(device, gpu);
        out.println("device: " + selection.description());
        TrainingConfig.Builder b = TrainingConfig.builder().dataset(datasetName).method(method).labelnum(labelnum)
                .maxIterations(maxIterations).seed(seed).baseFilters(baseFilters).padding(!noPad)
                .output(resume != null ? resume : runDir).resume(resume != null).checkpointEvery(checkpointEvery)
                .validation(valStart, valEvery, valList).device(selection.device().toString()).warmup(warmup)
                .lossWeights(lamdaTeacher, lamdaMix, lamdaProto, lamdaMixProto).protoLevels(protoLevels)
                .prototypes(!noProto).fusion(!noMix).learningRate(lr).emaDecay(emaDecay).metricRules(metricRules)
                .overwrite(overwrite);
        if (patch != null) {
            int[] p = Options.parseSize("--patch", patch);
            b.patch(p[0], p[1], p[2]);
        }
        if (fixedThreshold != null) {
            b.fixedThreshold(fixedThreshold);
        }
        try {
            TrainingConfig config = Options.withFlags(() -> b.build().validate());
            if (seeds != null) {
                SeedSweepResult o = Options.withFlags(() -> SeedSweepRun.create(rootPath, config, seeds)
                        .run(seed -> new TrainProgress(out, "seed " + seed, maxIterations)));
                for (int i = 0; i < o.seeds().size(); i++) {
                    report(out, "seed " + o.seeds().get(i) + ", ", o.runs().get(i));
                }
                out.println("over seeds " + o.seeds() + ", last checkpoints: " + o.last().describe("seed"));
                if (o.best() != null) {
                    out.println("over seeds " + o.seeds() + ", best checkpoints: " + o.best().describe("seed"));
                }
                out.println("per-seed and summary rows: " + o.table());
                return;
            }
            TrainingResult result;
            try (TrainProgress progress = new TrainProgress(out, "train", maxIterations)) {
                result = Options.withFlags(() -> TrainingRun.create(rootPath, config).run(progress));
            }
            report(out, "", result);
        } catch (ExistingRunException e) {
            throw new IllegalArgumentException("--out " + e.dir() + " already holds a training run; continue it with"
                    + " --resume " + e.dir() + ", choose another --out, or add --overwrite to discard it", e);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void report(PrintWriter out, String prefix, TrainingResult r) {
        out.println(prefix + "test metrics, last checkpoint " + r.lastCheckpoint() + ": " + r.lastTest().describe("case"));
        out.println(prefix + (r.bestTest() == null ? "no validation ran, so there is no best checkpoint"
                : "test metrics, best checkpoint " + r.bestCheckpoint() + " (iteration " + r.bestIteration() + "): "
                + r.bestTest().describe("case")));
        out.flush();
    }
}
