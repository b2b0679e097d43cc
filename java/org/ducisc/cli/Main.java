package org.ducisc.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The ducisc command line. A failing command prints one line naming the problem and exits
 * non-zero; {@code --verbose} adds the stack trace.
 */
@Command(name = "ducisc", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Semi-supervised 3D segmentation with DuCiSC on a from-scratch Java tensor engine.",
        subcommands = {DemoCommand.class, TrainCommand.class, TestCommand.class, PredictCommand.class, ConvertCommand.class, MetricsCommand.class,
            PhantomCommand.class, PrepareLaCommand.class, ModelSummaryCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code of a command that failed on its input or at run time. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of a command line picocli could not parse. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns the exit code, without exiting. Whatever fails (an exception, or
     * an error such as running out of memory or a failed class initialisation) ends in one line on
     * stderr and exit code 1; {@code --verbose}, before or after the subcommand, adds the stack trace.
     */
    public static int run(String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
                fail(commandLine.getErr(), ex, verbose(parseResult)));
        cl.setParameterExceptionHandler((ex, args2) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String path = String.join(" ", commandPath(ex.getCommandLine()));
            err.println("ducisc: " + ex.getMessage() + " (see 'ducisc" + (path.isEmpty() ? "" : " " + path)
                    + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        try {
            return cl.execute(args);
        } catch (Error | RuntimeException e) { // errors pass picocli's handler (it takes exceptions only)
            return fail(cl.getErr(), e, java.util.Arrays.asList(args).contains("--verbose"));
        }
    }

    private static int fail(PrintWriter err, Throwable ex, boolean verbose) {
        err.println("ducisc: " + message(ex));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    /** --verbose is inherited by the subcommands, so it may have been matched at any level. */
    private static boolean verbose(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** How to give the JVM more heap with the launcher: twice the current limit, at least 4 GiB. */
    static String heapHint() {
        long gib = Math.max(4, 2 * ((Runtime.getRuntime().maxMemory() + (1L << 30) - 1) >> 30));
        return "raise the limit with DUCISC_JAVA_OPTS=-Xmx" + gib + "g";
    }

    /**
     * One line for an error. The JDK's file-system exceptions carry only the path as their message, so
     * the problem is added in words; errors of the JVM are said in words too, never as a class name.
     */
    static String message(Throwable ex) {
        if (ex instanceof java.nio.file.FileSystemException f) {
            return org.ducisc.io.FileBytes.reason(f);
        }
        if (ex instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return message(u.getCause());
        }
        if (ex instanceof org.ducisc.core.InvalidSettingException s) {
            return Options.translate(s);
        }
        if (ex instanceof org.ducisc.io.HeapLimitException h) {
            return h.getMessage().replace("(raise the Java heap limit, -Xmx)", "(" + heapHint() + ")");
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + (ex.getMessage() == null ? "no detail" : ex.getMessage()) + ") with a Java heap"
                    + " limit of " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB: " + heapHint()
                    + ", or use smaller sizes (--patch, --window-batch, --base-filters)";
        }
        if (ex instanceof ExceptionInInitializerError e && e.getCause() != null) {
            return message(e.getCause());
        }
        if (ex instanceof StackOverflowError) {
            return "the input is nested too deeply to process (stack overflow)";
        }
        if (ex.getMessage() == null || ex.getMessage().isBlank()) {
            return "internal error (" + ex.getClass().getSimpleName() + " without a message); --verbose shows where";
        }
        return ex.getMessage().lines().findFirst().orElse("");
    }

    private static java.util.List<String> commandPath(CommandLine cl) {
        java.util.LinkedList<String> names = new java.util.LinkedList<>();
        for (CommandLine c = cl; c.getParent() != null; c = c.getParent()) {
            names.addFirst(c.getCommandName());
        }
        return names;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"ducisc " + (v == null ? "(development build)" : v),
                "Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores"};
        }
    }
}
