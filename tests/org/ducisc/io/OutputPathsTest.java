package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, item 7: an output that is an input or another output is refused, however it is spelled. */
class OutputPathsTest {
    @TempDir
    Path dir;

    private static OutputPaths.Labeled l(String label, Path p) {
        return new OutputPaths.Labeled(label, p);
    }

    @Test
    void theSameFileUnderAnySpellingIsRefused() throws Exception {
        Path image = Files.writeString(dir.resolve("image.nii"), "x");
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path link = Files.createSymbolicLink(dir.resolve("link.nii"), image);
        Path hard = Files.createLink(dir.resolve("hard.nii"), image);
        Path linkedDir = Files.createSymbolicLink(dir.resolve("linked"), sub);
        for (Path spelling : new Path[] {image, dir.resolve("./image.nii"), sub.resolve("../image.nii"), link, hard}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OutputPaths.requireDistinct(List.of(l("--input", image)), List.of(l("--output", spelling))),
                    spelling.toString());
            assertEquals("--output " + spelling + " is the same file as --input " + image
                    + "; choose another output path", e.getMessage());
        }
        // Two outputs that do not exist yet, one through a linked folder.
        Path a = sub.resolve("new/label.nii.gz");
        Path b = linkedDir.resolve("new/./label.nii.gz");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputPaths.requireDistinct(
                List.of(l("--input", image)), List.of(l("--output", a), l("--probabilities", b))));
        assertEquals("--probabilities " + b + " is the same file as --output " + a + "; choose another output path",
                e.getMessage());
        // Distinct paths and absent options pass.
        assertDoesNotThrow(() -> OutputPaths.requireDistinct(List.of(l("--input", image), l("--list", null)),
                List.of(l("--output", sub.resolve("label.nii.gz")), l("--probabilities", sub.resolve("prob.nii.gz")),
                        l("--probabilities", null))));
    }
}
