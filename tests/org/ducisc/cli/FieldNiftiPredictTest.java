package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.ducisc.core.Device;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.testing.DeterministicWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real NIfTI files from the field: the MRI template and atlases of Debian's {@code mricron-data}
 * package (installed by .ci/run through apt-get; the data stays out of the repository). {@code predict}
 * reads their headers and writes label maps and probabilities whose geometry is the input's, field for
 * field as nibabel reads it from the header bytes (dim, pixdim with qfac, qform_code with the quaternion
 * and offsets, sform_code with srow_x/y/z, xyzt_units). The headers are parsed here from the raw bytes
 * (NIfTI-1, nifti1.h offsets), not through the engine's reader.
 *
 * <p>The files, as nibabel 5 reports them: ch2better.nii.gz 301x370x316 uint8, 0.5 mm, qform_code =
 * sform_code = 1; aal.nii.gz 181x217x181, sform_code 4 only; JHU-WhiteMatter-labels-2mm.nii.gz
 * 91x109x91, qform_code = sform_code = 4, qfac -1, xyzt_units 10 (mm, s).
 */
class FieldNiftiPredictTest {
    static final Path TEMPLATES = Path.of("/usr/share/mricron/templates");
    static final List<String> FILES = List.of("JHU-WhiteMatter-labels-2mm.nii.gz", "aal.nii.gz", "ch2better.nii.gz");

    @TempDir
    Path tmp;

    @Test
    void predictKeepsTheGeometryOfRealHeaders() throws IOException {
        for (String f : FILES) {
            if (!Files.isRegularFile(TEMPLATES.resolve(f))) {
                String reason = TEMPLATES.resolve(f) + " missing: install Debian's mricron-data (apt-get install mricron-data;"
                        + " .ci/run does)";
                if ("true".equals(System.getenv("CI"))) {
                    fail(reason);
                }
                System.out.println("FieldNiftiPredictTest skipped: " + reason);
                Assumptions.abort(reason);
            }
        }
        Path checkpoint = tmp.resolve("tiny.safetensors");
        try (VNet net = new VNet(VNet.Config.defaults().withBaseFilters(1), Device.CPU, new Rng(1), new Rng(2))) {
            DeterministicWeights.fill(net);
            Checkpoint.save(checkpoint, net, Map.of());
        }
        for (String f : FILES) {
            Path in = TEMPLATES.resolve(f);
            Path labels = tmp.resolve("pred-" + f);
            Path prob = tmp.resolve("prob-" + f);
            long t0 = System.nanoTime();
            CliRun.Outcome o = CliRun.run("predict", "--checkpoint", checkpoint.toString(), "--input",
                    in.toString(), "--output", labels.toString(), "--probabilities", prob.toString(), "--z-score",
                    "--patch", "64,64,64", "--stride-xy", "64", "--stride-z", "64", "--window-batch", "1", "--device", "cpu");
            assertEquals(0, o.code(), o.err() + o.out());
            System.out.printf("FieldNiftiPredictTest: %s predicted in %.1f s%n", f, (System.nanoTime() - t0) / 1e9);
            Header a = Header.read(in);
            for (Path out : List.of(labels, prob)) {
                Header b = Header.read(out);
                String what = f + " -> " + out.getFileName();
                assertArrayEquals(a.dim, b.dim, what + " dim");
                assertArrayEquals(a.pixdim, b.pixdim, what + " pixdim[0..3]");
                assertEquals(a.qformCode, b.qformCode, what + " qform_code");
                assertEquals(a.sformCode, b.sformCode, what + " sform_code");
                if (a.qformCode > 0) {
                    assertArrayEquals(a.quatern, b.quatern, what + " quatern_b/c/d, qoffset_x/y/z");
                }
                if (a.sformCode > 0) {
                    assertArrayEquals(a.srow, b.srow, what + " srow_x/y/z");
                }
                assertEquals(a.xyztUnits, b.xyztUnits, what + " xyzt_units");
            }
            assertEquals(2, Header.read(labels).datatype, "labels are uint8");
            assertEquals(16, Header.read(prob).datatype, "probabilities are float32");
            assertTrue(a.qformCode > 0 || a.sformCode > 0, f + " has a transform");
        }
    }

    /** The geometry fields of a NIfTI-1 header, from its bytes (offsets of nifti1.h). */
    record Header(long[] dim, float[] pixdim, short qformCode, short sformCode, float[] quatern, float[] srow,
                  byte xyztUnits, short datatype) {
        static Header read(Path file) throws IOException {
            byte[] h;
            try (InputStream raw = Files.newInputStream(file);
                 InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                h = in.readNBytes(348);
            }
            assertEquals(348, h.length, file + ": a NIfTI-1 header is 348 bytes");
            ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(0) != 348) {
                b.order(ByteOrder.BIG_ENDIAN);
            }
            assertEquals(348, b.getInt(0), file + ": sizeof_hdr");
            int ndim = b.getShort(40);
            long[] dim = new long[ndim];
            for (int i = 0; i < ndim; i++) {
                dim[i] = b.getShort(42 + 2 * i);
            }
            float[] pixdim = new float[4];
            for (int i = 0; i < 4; i++) {
                pixdim[i] = b.getFloat(76 + 4 * i);
            }
            if (pixdim[0] == 0) {
                pixdim[0] = 1; // nibabel (and nifti1.h) read qfac 0 as 1
            }
            float[] quatern = new float[6];
            for (int i = 0; i < 6; i++) {
                quatern[i] = b.getFloat(256 + 4 * i);
            }
            float[] srow = new float[12];
            for (int i = 0; i < 12; i++) {
                srow[i] = b.getFloat(280 + 4 * i);
            }
            return new Header(dim, pixdim, b.getShort(252), b.getShort(254), quatern, srow, h[123], b.getShort(70));
        }
    }
}
