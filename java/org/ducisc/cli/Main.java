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

    /** Runs the command line and returns the exit code, without exiting. */
    public static int run(String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("ducisc: " + message(ex));
            if (parseResult.hasMatchedOption("--verbose")) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args2) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String path = String.join(" ", commandPath(ex.getCommandLine()));
            err.println("ducisc: " + ex.getMessage() + " (see 'ducisc" + (path.isEmpty() ? "" : " " + path)
                    + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /**
     * One line for an error. The JDK's file-system exceptions carry only the path as their message, so
     * the problem is added in words.
     */
    static String message(Throwable ex) {
        if (ex instanceof java.nio.file.FileSystemException f) {
            String problem = f.getReason() != null ? f.getReason() : switch (f) {
                case java.nio.file.NoSuchFileException n -> "no such file or folder";
                case java.nio.file.AccessDeniedException a -> "permission denied";
                case java.nio.file.FileAlreadyExistsException a -> "already exists";
                case java.nio.file.NotDirectoryException n -> "not a folder";
                case java.nio.file.DirectoryNotEmptyException d -> "folder not empty";
                default -> f.getClass().getSimpleName();
            };
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + problem;
        }
        if (ex instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return message(u.getCause());
        }
        return ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
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
