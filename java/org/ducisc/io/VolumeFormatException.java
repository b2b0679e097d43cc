package org.ducisc.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A volume, list or data set file that cannot be used: missing, truncated, corrupt, or not what
 * the layout expects. The message is one line that names the file and the problem, ready for the
 * command line to print as it is.
 */
public final class VolumeFormatException extends IOException {
    public VolumeFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public VolumeFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
