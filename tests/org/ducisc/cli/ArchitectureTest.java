package org.ducisc.cli;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.properties.HasName;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * README's layer diagram ("Layout"), checked on the compiled classes of both modules (it lives in the
 * command line's module, the one whose class path holds them all). Layers only call downward:
 * cli → api → train → nn / data / eval → autograd / io → tensor → runtime → backend.cpu / backend.cuda
 * → backend → core. A layer may use any layer below it; the device layers are reached only through
 * {@code runtime}, which the tensor layer and the two entry points (api, cli) use to choose a device.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // Main classes only: the test classes of either module (target/test-classes, target/cli/test-classes).
        ImportOption mainOnly = location -> !location.contains("/test-classes/");
        // The rules look at the engine's own classes only; resolving the JDK's and the libraries' is slow.
        com.tngtech.archunit.ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
        classes = new ClassFileImporter().withImportOption(mainOnly).importPackages("org.ducisc");
    }

    @Test
    void layersOnlyCallDownward() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy("org.ducisc.cli..")
                .layer("api").definedBy("org.ducisc.api..")
                .layer("train").definedBy("org.ducisc.train..")
                .layer("nn, data, eval").definedBy("org.ducisc.nn..", "org.ducisc.data..", "org.ducisc.eval..")
                .layer("autograd").definedBy("org.ducisc.autograd..")
                .layer("io").definedBy("org.ducisc.io..")
                .layer("tensor").definedBy("org.ducisc.tensor..")
                .layer("runtime").definedBy("org.ducisc.runtime..")
                .layer("backend implementations").definedBy("org.ducisc.backend.cpu..", "org.ducisc.backend.cuda..")
                .layer("backend").definedBy("org.ducisc.backend")
                .layer("core").definedBy("org.ducisc.core..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("api").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("train").mayOnlyBeAccessedByLayers("api", "cli")
                .whereLayer("nn, data, eval").mayOnlyBeAccessedByLayers("train", "api", "cli")
                .whereLayer("autograd").mayOnlyBeAccessedByLayers("nn, data, eval", "train", "api", "cli")
                .whereLayer("io").mayOnlyBeAccessedByLayers("nn, data, eval", "train", "api", "cli")
                .whereLayer("tensor").mayOnlyBeAccessedByLayers("autograd", "io", "nn, data, eval", "train", "api", "cli")
                .whereLayer("runtime").mayOnlyBeAccessedByLayers("tensor", "api", "cli")
                .whereLayer("backend implementations").mayOnlyBeAccessedByLayers("runtime")
                .whereLayer("backend").mayOnlyBeAccessedByLayers("backend implementations", "runtime", "tensor")
                .check(classes);
    }

    /**
     * Issue 10: the command line trains through the API. No command reaches into {@code train} except for
     * two listed classes: {@code bench}'s workloads ({@code train.BenchWorkloads}, timing harnesses, not
     * training) and the option ranges {@code bench} and {@code model-summary} check ({@code train.SettingRanges}); and
     * {@code train}, {@code demo} and what they share (the progress bar, the option table) use nothing of
     * train, nn, eval, autograd, tensor or the backends: they build {@code api.TrainingConfig} and run
     * {@code api.TrainingRun} / {@code api.SeedSweepRun}, and segment through {@code api.Segmenter}.
     */
    @Test
    void trainingCommandsAreClientsOfTheApi() {
        DescribedPredicate<JavaClass> trainButBench = JavaClass.Predicates.resideInAPackage("org.ducisc.train..")
                .and(DescribedPredicate.not(HasName.Predicates.nameMatching("org\\.ducisc\\.train\\.(BenchWorkloads|SettingRanges)(\\$.*)?")));
        noClasses().that().resideInAPackage("org.ducisc.cli..").should().dependOnClassesThat(trainButBench)
                .check(classes);
        noClasses().that().haveNameMatching("org\\.ducisc\\.cli\\.(TrainCommand|DemoCommand|TrainProgress|Options)(\\$.*)?")
                .should().dependOnClassesThat().resideInAnyPackage("org.ducisc.train..", "org.ducisc.nn..",
                        "org.ducisc.eval..", "org.ducisc.autograd..", "org.ducisc.tensor..", "org.ducisc.backend..")
                .check(classes);
    }

    /**
     * Issue 10: {@code test} and {@code predict} segment and evaluate through {@code api.Segmenter} (one
     * inference path): no network, sliding window, training code, tensor or backend of their own. The
     * records that {@code Segmenter.evaluate} hands back (eval's metrics) may be read.
     */
    @Test
    void inferenceCommandsAreClientsOfTheApi() {
        noClasses().that().haveNameMatching("org\\.ducisc\\.cli\\.(TestCommand|PredictCommand|InferenceOptions)(\\$.*)?")
                .should().dependOnClassesThat().resideInAnyPackage("org.ducisc.train..", "org.ducisc.nn..",
                        "org.ducisc.autograd..", "org.ducisc.tensor..", "org.ducisc.backend..")
                .orShould().dependOnClassesThat().haveNameMatching("org\\.ducisc\\.eval\\.SlidingWindow(\\$.*)?")
                .check(classes);
    }

    /** No two packages depend on each other, directly or around a loop. */
    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("org.ducisc.(**)").should().beFreeOfCycles().check(classes);
    }

    /** The bottom vocabulary imports nothing of the engine. */
    @Test
    void coreDependsOnNothingOfTheEngine() {
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideInAPackage("org.ducisc.core..")
                .should().dependOnClassesThat().resideOutsideOfPackages("org.ducisc.core..", "java..")
                .check(classes);
    }
}
