package org.ducisc.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The ducisc command line. */
@Command(name = "ducisc", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Semi-supervised 3D segmentation with DuCiSC on a from-scratch Java tensor engine.",
        subcommands = {CommandLine.HelpCommand.class, PhantomCommand.class, PrepareLaCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code, without exiting. */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
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
