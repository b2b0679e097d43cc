package org.ducisc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.ducisc.data.Dataset;
import org.ducisc.eval.MetricRules;
import org.ducisc.runtime.Backends;
import org.ducisc.train.DuciscConfig;
import org.ducisc.train.RunFolder;
import org.ducisc.train.SeedSweep;
import org.ducisc.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains DuCiSC or a baseline; the reference's option spellings work too. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train DuCiSC (or a baseline) on a data set.")
final class TrainCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = {"--dataset-name", "--dataset_name"}, defaultValue = "LA", description = "LA, Pancreas or IAN (default ${DEFAULT-VALUE}).")
    String datasetName;

    @Option(names = {"--root-path", "--root_path"}, required = true, description = "Folder holding the data set folder (or the data set folder itself), or an MSD / nnU-Net v2 NIfTI folder (imagesTr/, labelsTr/, imagesTs/).")
    Path rootPath;

    @Option(names = "--labelnum", defaultValue = "8", description = "Labeled training cases: the first N of train.list, or of a NIfTI folder's sorted labeled images (default ${DEFAULT-VALUE}).")
    int labelnum;

    @Option(names = {"--max-iterations", "--max_iterations", "--max_iteration"}, defaultValue = "15000", description = "Iterations (default ${DEFAULT-VALUE}).")
    long maxIterations;

    @Option(names = "--seed", defaultValue = "1337", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seeds", split = ",", paramLabel = "S1,S2,...", description = "Several runs, one per seed (sub-folders seed_N of --out), then mean and standard deviation over seeds; replaces --seed.")
    java.util.List<Long> seeds;

    @Option(names = "--out", defaultValue = "runs/train", description = "Run folder (default ${DEFAULT-VALUE}).")
    Path runDir;

    @Option(names = "--overwrite", description = "Discard the run already in --out (its checkpoints, state, metrics and log) and start anew; without it such a folder is refused.")
    boolean overwrite;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the interrupted run in DIR (its run folder; --out is then ignored) with the same settings.")
    Path resume;

    @Option(names = "--method", defaultValue = "ducisc", description = "ducisc, supervised (the plain supervised loss), supervised-matched (DuCiSC without its unlabeled terms: labeled cases only, DuCiSC's loss normalisation) or mean-teacher (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = {"--base-filters", "--base_filters"}, defaultValue = "16", description = "V-Net base filters (default ${DEFAULT-VALUE}).")
    int baseFilters;

    @Option(names = "--patch", description = "Patch W,H,D (default: the data set's).")
    String patch;

    @Option(names = "--no-pad", description = "No zero padding in the training crop: every side of every training volume must then exceed the patch.")
    boolean noPad;

    @Option(names = {"--warmup", "--consistency-rampup"}, defaultValue = "2000", description = "Iterations before the unlabeled terms (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = {"--lamda-teacher", "--lamda_teacher"}, defaultValue = "0.3") double lamdaTeacher;
    @Option(names = {"--lamda-proto", "--lamda_proto"}, defaultValue = "0.1") double lamdaProto;
    @Option(names = {"--lamda-mix", "--lamda_mix"}, defaultValue = "0.1") double lamdaMix;
    @Option(names = {"--lamda-mix-proto", "--lamda_mix_proto"}, defaultValue = "0.1") double lamdaMixProto;

    @Option(names = "--proto-levels", defaultValue = "4", description = "Coarsest feature levels aligned (default ${DEFAULT-VALUE}).")
    int protoLevels;

    @Option(names = "--no-proto", description = "Ablation: no prototype alignment.")
    boolean noProto;

    @Option(names = "--no-mix", description = "Ablation: no volume fusion.")
    boolean noMix;

    @Option(names = "--fixed-threshold", description = "Ablation: a fixed confidence threshold instead of the self-aware ones.")
    Double fixedThreshold;

    @Option(names = {"--base-lr", "--base_lr"}, defaultValue = "0.01") double lr;

    @Option(names = "--ema-decay", defaultValue = "0.99") double emaDecay;

    @Option(names = "--checkpoint-every", defaultValue = "1000", description = "Periodic checkpoints (default ${DEFAULT-VALUE}; 0 = only last).")
    long checkpointEvery;

    @Option(names = "--val-start", defaultValue = "800", description = "First validation after this many iterations (default ${DEFAULT-VALUE}).")
    long valStart;

    @Option(names = "--val-every", defaultValue = "200", description = "Iterations between validations (default ${DEFAULT-VALUE}; 0 = none).")
    long valEvery;

    @Option(names = "--val-list", paramLabel = "FILE", description = "Select best.safetensors on these cases instead of the test list (as the reference does); in a NIfTI folder they are held out of training (default there: its validation.list).")
    Path valList;

    @Option(names = "--metric-rules", defaultValue = "reference", paramLabel = "RULES",
            description = "Metrics of empty predictions or ground truths in validation and the test report: reference"
                + " (an empty prediction scores 0) or monai (NaN, left out of the means) (default ${DEFAULT-VALUE}).")
    String metricRules;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda, cuda:N or cuda-emu (the emulated CUDA device) (default ${DEFAULT-VALUE}: CUDA when it works, else the CPU).")
    String device;

    @Option(names = "--gpu", description = "The reference's spelling of --device cuda:N.")
    Integer gpu;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Backends.Selection selection = Options.selectDevice(device, gpu);
        out.println("device: " + selection.description());
        DuciscConfig d = DuciscConfig.defaults();
        double threshold = fixedThreshold == null ? d.thresholdInit() : fixedThreshold;
        if (fixedThreshold != null && !(fixedThreshold > 0 && fixedThreshold < 1)) {
            throw new IllegalArgumentException("--fixed-threshold must be in (0, 1), got " + fixedThreshold);
        }
        DuciscConfig cfg = new DuciscConfig(warmup, lamdaTeacher, lamdaMix, lamdaProto, lamdaMixProto, protoLevels,
                d.fusionLow(), d.fusionHigh(), threshold, d.thresholdDecay(), d.thresholdLow(), d.thresholdHigh(), lr,
                d.momentum(), d.weightDecay(), emaDecay, !noProto, !noMix, fixedThreshold == null);
        try {
            Dataset dataset = Dataset.open(datasetName, rootPath);
            Trainer.Settings settings = new Trainer.Settings(Trainer.Method.parse(method), labelnum, maxIterations, seed,
                    baseFilters, patch == null ? null : Options.parseSize("--patch", patch), !noPad, cfg, resume != null ? resume : runDir,
                    checkpointEvery, new Trainer.Validation(valStart, valEvery, valList, MetricRules.parse(metricRules)), resume != null);
            if (overwrite && resume != null) {
                throw new IllegalArgumentException("--overwrite and --resume exclude each other: one discards the run,"
                        + " the other continues it");
            }
            if (overwrite) {
                RunFolder.discard(settings.runDir());
            }
            if (seeds != null) {
                SeedSweep.Outcome o = SeedSweep.run(dataset, settings, selection.device(), seeds,
                        seed -> new TrainProgress(out, "seed " + seed, maxIterations));
                for (int i = 0; i < seeds.size(); i++) {
                    report(out, "seed " + seeds.get(i) + ", ", o.runs().get(i));
                }
                out.println("over seeds " + seeds + ", last checkpoints: " + Trainer.describe(o.last(), "seeds"));
                if (o.best() != null) {
                    out.println("over seeds " + seeds + ", best checkpoints: " + Trainer.describe(o.best(), "seeds"));
                }
                out.println("per-seed and summary rows: " + settings.runDir().resolve("seeds.csv"));
                return;
            }
            Trainer.Result result;
            try (TrainProgress progress = new TrainProgress(out, "train", maxIterations)) {
                result = Trainer.run(dataset, settings, selection.device(), progress);
            }
            report(out, "", result);
        } catch (RunFolder.ExistingRunException e) {
            throw new IllegalArgumentException("--out " + e.dir() + " already holds a training run; continue it with"
                    + " --resume " + e.dir() + ", choose another --out, or add --overwrite to discard it", e);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void report(PrintWriter out, String prefix, Trainer.Result r) {
        out.println(prefix + "test metrics, last checkpoint " + r.last() + ": " + Trainer.describe(r.lastTest()));
        out.println(prefix + (r.bestTest() == null ? "no validation ran, so there is no best checkpoint"
                : "test metrics, best checkpoint " + r.best() + " (iteration " + r.bestIteration() + "): "
                + Trainer.describe(r.bestTest())));
        out.flush();
    }
}
