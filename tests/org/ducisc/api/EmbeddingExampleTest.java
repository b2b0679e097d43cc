package org.ducisc.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.ConnectedComponents;
import org.ducisc.eval.SegmentationMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Embedding" example, taken from README.md as it stands, compiled against the API and run. */
class EmbeddingExampleTest {
    @TempDir
    Path dir;

    /** The first ```java block after the "## Embedding" heading. */
    static String example() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int section = readme.indexOf("\n## Embedding\n");
        assertTrue(section >= 0, "README.md has an Embedding section");
        int start = readme.indexOf("```java\n", section);
        int next = readme.indexOf("\n## ", section + 1);
        assertTrue(start >= 0 && (next < 0 || start < next), "the Embedding section has a java code block");
        int end = readme.indexOf("\n```", start + 8);
        return readme.substring(start + 8, end + 1);
    }

    @Test
    void readmeExampleCompilesAndSegmentsWithATinyCheckpoint() throws Exception {
        String code = example();
        assertTrue(code.lines().count() <= 25, "a short example: " + code.lines().count() + " lines");
        Path src = dir.resolve("src/EmbeddingExample.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, code, StandardCharsets.UTF_8);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String apiClasses = Path.of(Segmenter.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean ok = javac.getTask(diagnostics, null, null, List.of("-classpath", apiClasses, "-d", classes.toString()),
                null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(src)).call();
        assertTrue(ok, "the README example compiles:\n" + diagnostics);

        Path checkpoint = TinyModels.checkpoint(dir);
        int[] shape = {20, 23, 17};
        float[] voxels = TinyModels.volume(shape, 21);
        byte[] truth = TinyModels.ball(shape);
        double[] spacing = {1, 1, 2};
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()},
                EmbeddingExampleTest.class.getClassLoader())) {
            Method segment = loader.loadClass("EmbeddingExample").getMethod("segment", Path.class, float[].class,
                    int[].class, double[].class, byte[].class);
            Segmentation got = (Segmentation) segment.invoke(null, checkpoint, voxels, shape, spacing, truth);
            assertArrayEquals(shape, got.shape());
            byte[] thresholded = new byte[voxels.length];
            for (int i = 0; i < voxels.length; i++) {
                thresholded[i] = got.foregroundProbability()[i] > 0.5f ? (byte) 1 : 0;
            }
            // One inference only (a 112x112x80 window is the slow part): the labels are the probability's
            // largest component, the metrics those of the labels.
            assertArrayEquals(ConnectedComponents.largest(thresholded, shape), got.labels());
            CaseMetrics m = SegmentationMetrics.evaluate(got.labels(), truth, shape, spacing);
            assertEquals(new Metrics(m.dice(), m.jaccard(), m.hd95(), m.asd()), got.metrics().orElseThrow());
        }
    }
}
