package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ducisc.io.Fixtures;
import org.ducisc.io.VolumeFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data set layout: folder resolution, list parsing, per-set parameters. */
class DatasetTest {
    @TempDir
    Path root;

    private void copyCase(DatasetKind kind, Path datasetDir, String name) throws IOException {
        Path f = kind.caseFile(datasetDir, name);
        Files.createDirectories(f.getParent());
        Files.copy(Fixtures.file("case.h5"), f);
    }

    @Test
    void resolvesRootPathOrDatasetFolderAndReadsLists() throws IOException {
        Path la = root.resolve("LA");
        copyCase(DatasetKind.LA, la, "A1");
        copyCase(DatasetKind.LA, la, "B2");
        Files.writeString(la.resolve("train.list"), "A1\n\n  B2  \r\n# comment\n");
        Files.writeString(la.resolve("test.list"), "LA/2018LA_Seg_TrainingSet/B2/mri_norm2.h5\n");
        for (Path p : new Path[] {root, la}) {
            Dataset d = Dataset.open("la", p);
            assertEquals(la, d.dir());
            assertEquals(List.of("A1", "B2"), d.trainCases());
            assertEquals(List.of("B2"), d.testCases());
            assertEquals(Fixtures.scalar("h5.label.sum"), Fixtures.sum(d.read("A1").label()));
        }
    }

    @Test
    void nerveSetUsesNurvesFolderAndClampsLabels() throws IOException {
        Path f = DatasetKind.IAN.caseFile(root.resolve("Nurves"), "n1");
        Files.createDirectories(f.getParent());
        Files.copy(Fixtures.file("nerve.h5"), f);
        Files.writeString(root.resolve("Nurves/train.list"), "n1.h5\n");
        Dataset d = Dataset.open("Nurves", root);
        assertEquals(DatasetKind.IAN, d.kind());
        assertEquals(List.of("n1"), d.trainCases());
        assertEquals(Fixtures.scalar("h5.label.sum"), Fixtures.sum(d.read("n1").label()));
    }

    @Test
    void listNamingAMissingCaseFailsWithListAndLine() throws IOException {
        Path p = root.resolve("Pancreas");
        copyCase(DatasetKind.PANCREAS, p, "image0001");
        Files.writeString(p.resolve("train.list"), "image0001\nimage0002\n");
        Dataset d = Dataset.open(DatasetKind.PANCREAS, root);
        VolumeFormatException e = assertThrows(VolumeFormatException.class, d::trainCases);
        assertTrue(e.getMessage().contains("train.list") && e.getMessage().contains("line 2")
                && e.getMessage().contains("image0002"), e.getMessage());
        assertThrows(VolumeFormatException.class, d::testCases, "missing test.list");
        assertThrows(VolumeFormatException.class, () -> Dataset.open("LA", root.resolve("nowhere")));
        assertThrows(IllegalArgumentException.class, () -> DatasetKind.parse("brain"));
    }

    @Test
    void byteOrderMarkIsDroppedAndNamesArePrintedEscaped() throws IOException {
        Path la = root.resolve("LA");
        copyCase(DatasetKind.LA, la, "A1");
        Files.write(la.resolve("train.list"), "\uFEFFA1\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(la.resolve("test.list"), "A1\nA\u00A01\tx\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Dataset d = Dataset.open("LA", root);
        assertEquals(List.of("A1"), d.trainCases(), "a UTF-8 BOM before the first case is not part of its name");
        VolumeFormatException e = assertThrows(VolumeFormatException.class, d::testCases);
        assertTrue(e.getMessage().contains("'A\\u00A01\\u0009x'"), e.getMessage());
        assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7F), "only printable characters: " + e.getMessage());
    }

    @Test
    void lineForms() {
        assertEquals("abc", Dataset.caseName(" abc \r"));
        assertEquals("abc", Dataset.caseName("../data/LA/2018LA_Seg_TrainingSet/abc/mri_norm2.h5"));
        assertEquals("image0003", Dataset.caseName("Pancreas_h5/image0003.h5"));
        assertNull(Dataset.caseName("   "));
        assertNull(Dataset.caseName("# note"));
    }

    @Test
    void tableOfSectionOne() {
        assertArrayEquals(new int[] {112, 112, 80}, DatasetKind.LA.patch());
        assertEquals(18, DatasetKind.LA.strideXY());
        assertEquals(4, DatasetKind.LA.strideZ());
        assertArrayEquals(new int[] {96, 96, 96}, DatasetKind.PANCREAS.patch());
        assertArrayEquals(new int[] {160, 128, 112}, DatasetKind.IAN.patch());
        assertEquals(16, DatasetKind.IAN.strideZ());
    }
}
