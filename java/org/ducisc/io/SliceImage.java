package org.ducisc.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * The one slice renderer of the PNG previews (the phantom's preview, the demo's test slices): a
 * 2D grid of voxels painted into an image, each voxel a {@code zoom} x {@code zoom} square, and the
 * PNG written atomically.
 */
public final class SliceImage {
    private SliceImage() {
    }

    /** The colour (0xRRGGBB) of grid cell (u, v): u along the image's width, v along its height. */
    @FunctionalInterface
    public interface Cell {
        int rgb(int u, int v);
    }

    /**
     * The grey level of an intensity, for the phantom's normalised images: [-2, 3.5] mapped linearly to
     * 0..255 (clamped), as 0xRRGGBB.
     */
    public static int grey(double value) {
        int g = (int) Math.max(0, Math.min(255, (value + 2.0) / 5.5 * 255));
        return g * 0x010101;
    }

    /**
     * Paints a {@code width} x {@code rows} grid at pixel (x0, y0), each cell {@code zoom} pixels
     * square; v grows upwards (row v = rows - 1 at the top), as a scan viewer shows H and D.
     */
    public static void paint(BufferedImage out, int x0, int y0, int zoom, int width, int rows, Cell cell) {
        for (int u = 0; u < width; u++) {
            for (int v = 0; v < rows; v++) {
                int rgb = cell.rgb(u, v);
                for (int du = 0; du < zoom; du++) {
                    for (int dv = 0; dv < zoom; dv++) {
                        out.setRGB(x0 + u * zoom + du, y0 + (rows - 1 - v) * zoom + dv, rgb);
                    }
                }
            }
        }
    }

    /**
     * Writes {@code image} as a PNG, atomically ({@link FileBytes#writeAtomicallyTo}).
     *
     * @throws IOException if the file cannot be written, or the JDK has no PNG writer
     */
    public static void writePng(Path png, BufferedImage image) throws IOException {
        FileBytes.writeAtomicallyTo(png, tmp -> {
            if (!ImageIO.write(image, "png", tmp.toFile())) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }
}
