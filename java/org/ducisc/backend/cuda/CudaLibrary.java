package org.ducisc.backend.cuda;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where libducisc_cuda.so (built by native/build.sh) is looked for, in order: the system property
 * ducisc.cuda.library, the environment variable DUCISC_CUDA_LIBRARY, target/native/ under the working
 * folder, and native/ next to the jar (the launcher's jar lives in target/).
 */
final class CudaLibrary {
    static final String FILE_NAME = "libducisc_cuda.so";

    private CudaLibrary() {
    }

    static List<Path> candidates() {
        List<Path> places = new ArrayList<>();
        String property = System.getProperty("ducisc.cuda.library");
        if (property != null && !property.isBlank()) {
            places.add(Path.of(property));
        }
        String env = System.getenv("DUCISC_CUDA_LIBRARY");
        if (env != null && !env.isBlank()) {
            places.add(Path.of(env));
        }
        places.add(Path.of("target", "native", FILE_NAME).toAbsolutePath());
        try {
            Path code = Path.of(CudaLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            places.add(code.getParent().resolve("native").resolve(FILE_NAME));
        } catch (URISyntaxException | NullPointerException | SecurityException e) {
            // no code source (e.g. a custom class loader): the other places remain
        }
        return places;
    }

    static Optional<Path> find() {
        return candidates().stream().filter(Files::isRegularFile).findFirst();
    }
}
