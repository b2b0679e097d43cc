package org.ducisc.backend.cuda;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the kernel libraries are looked for. The GPU library libducisc_cuda.so (native/build.sh), in
 * order: the system property ducisc.cuda.library, the environment variable DUCISC_CUDA_LIBRARY,
 * target/native/ under the working folder, and native/ next to the jar (the launcher's jar lives in
 * target/). The emulated device's library libducisc_cuda_host.so (native/build.sh --host; with
 * -Dducisc.cuda.emulator.asan=true its AddressSanitizer build libducisc_cuda_host_asan.so) in the same
 * places, with the property ducisc.cuda.emulator.library and the variable DUCISC_CUDA_EMULATOR_LIBRARY.
 */
final class CudaLibrary {
    static final String FILE_NAME = "libducisc_cuda.so";
    static final String HOST_FILE_NAME = "libducisc_cuda_host.so";
    static final String HOST_ASAN_FILE_NAME = "libducisc_cuda_host_asan.so";

    private CudaLibrary() {
    }

    static List<Path> candidates() {
        return candidates(FILE_NAME, "ducisc.cuda.library", "DUCISC_CUDA_LIBRARY");
    }

    static Optional<Path> find() {
        return candidates().stream().filter(Files::isRegularFile).findFirst();
    }

    /** The emulated device's library file name: the AddressSanitizer build under -Dducisc.cuda.emulator.asan=true. */
    static String hostFileName() {
        return Boolean.getBoolean("ducisc.cuda.emulator.asan") ? HOST_ASAN_FILE_NAME : HOST_FILE_NAME;
    }

    static List<Path> hostCandidates() {
        return candidates(hostFileName(), "ducisc.cuda.emulator.library", "DUCISC_CUDA_EMULATOR_LIBRARY");
    }

    static Optional<Path> findHost() {
        return hostCandidates().stream().filter(Files::isRegularFile).findFirst();
    }

    private static List<Path> candidates(String fileName, String property, String variable) {
        List<Path> places = new ArrayList<>();
        String fromProperty = System.getProperty(property);
        if (fromProperty != null && !fromProperty.isBlank()) {
            places.add(Path.of(fromProperty));
        }
        String env = System.getenv(variable);
        if (env != null && !env.isBlank()) {
            places.add(Path.of(env));
        }
        places.add(Path.of("target", "native", fileName).toAbsolutePath());
        try {
            Path code = Path.of(CudaLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            places.add(code.getParent().resolve("native").resolve(fileName));
        } catch (URISyntaxException | NullPointerException | SecurityException e) {
            // no code source (e.g. a custom class loader): the other places remain
        }
        return places;
    }
}
