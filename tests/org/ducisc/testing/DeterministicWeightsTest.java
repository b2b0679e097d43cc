package org.ducisc.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.ducisc.io.Safetensors;
import org.junit.jupiter.api.Test;

/** The Java formula must give the very bits the fixture script gave to PyTorch. */
class DeterministicWeightsTest {
    @Test
    void matchesValuesPrintedByTheScript() {
        assertEquals(3135815405L, Integer.toUnsignedLong(DeterministicWeights.fnv1a("block_one.conv.0.weight")));
        check("block_one.conv.0.weight", new long[] {16, 1, 3, 3, 3}, 0, 0x3e5e290eL); // 0.21695348620414734
        check("block_one.conv.0.weight", new long[] {16, 1, 3, 3, 3}, 1, 0xbe129a82L); // -0.14316752552986145
        check("block_one.conv.0.weight", new long[] {16, 1, 3, 3, 3}, 431, 0xbebfc101L); // -0.37451937794685364
        check("block_five_up.conv.0.weight", new long[] {256, 128, 2, 2, 2}, 0, 0x3c2375b7L); // 0.009976795874536037
        check("block_five_up.conv.0.weight", new long[] {256, 128, 2, 2, 2}, 1, 0xbd46a77cL); // -0.04849956929683685
        check("block_five_up.conv.0.weight", new long[] {256, 128, 2, 2, 2}, 262143, 0x3d5a92a3L); // 0.05336249992251396
        check("block_two.conv.4.running_var", new long[] {32}, 0, 0x3fbab9aaL); // 1.4587910175323486
        check("block_two.conv.4.running_var", new long[] {32}, 1, 0x3fa24789L); // 1.2678080797195435
        check("block_two.conv.4.running_var", new long[] {32}, 31, 0x3f84e799L); // 1.0383177995681763
        check("block_nine.conv.1.weight", new long[] {16}, 0, 0x3f810fcfL); // 1.008294939994812
        check("block_nine.conv.1.weight", new long[] {16}, 1, 0x3f6e911cL); // 0.9319016933441162
        check("block_nine.conv.1.weight", new long[] {16}, 15, 0x3f87fc9fL); // 1.0623968839645386
        check("out_conv_4.bias", new long[] {2}, 0, 0x3d1eca08L); // 0.03876689076423645
        check("out_conv_4.bias", new long[] {2}, 1, 0x3a157f77L); // 0.0005702892667613924
        check("block_three.conv.7.bias", new long[] {64}, 0, 0xbbac58ebL); // -0.005259623285382986
        check("block_three.conv.7.bias", new long[] {64}, 1, 0xbd31ff27L); // -0.043456222862005234
        check("block_three.conv.7.bias", new long[] {64}, 63, 0xbc3ecccbL); // -0.011645506136119366
    }

    private static void check(String name, long[] shape, int index, long bits) {
        float v = DeterministicWeights.values(name, shape, DeterministicWeights.kindOf(name))[index];
        assertEquals(bits, Integer.toUnsignedLong(Float.floatToRawIntBits(v)), name + "[" + index + "] = " + v);
    }

    /** Every entry of the 16-filter state dict, checked by the CRC32 the script stored in the fixture. */
    @Test
    void reproducesTheWholeSixteenFilterStateDict() throws Exception {
        Path fixture = Path.of(DeterministicWeightsTest.class.getResource("/fixtures/vnet_f16.safetensors").toURI());
        String table;
        try (Safetensors st = Safetensors.read(fixture)) {
            table = st.metadata().get("weights_crc32");
        }
        long params = 0;
        int entries = 0;
        for (String line : table.split("\n")) {
            String[] f = line.split(" ", -1);
            long[] shape = f[1].isEmpty() ? new long[0] : Arrays.stream(f[1].split("x")).mapToLong(Long::parseLong).toArray();
            ByteBuffer bytes;
            if (f[0].endsWith(".num_batches_tracked")) {
                bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0);
            } else {
                float[] v = DeterministicWeights.values(f[0], shape, DeterministicWeights.kindOf(f[0]));
                bytes = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(v);
                if (!f[0].endsWith("running_mean") && !f[0].endsWith("running_var")) {
                    params += v.length;
                }
            }
            CRC32 crc = new CRC32();
            crc.update(bytes);
            assertEquals(f[2], String.format("%08x", crc.getValue()), f[0]);
            entries++;
        }
        assertEquals(9_449_320, params, "parameter count of the 16-filter V-Net");
        assertTrue(entries > 100, "entries in the table: " + entries);
    }

    @Test
    void kindFollowsTheVNetNaming() {
        assertEquals(DeterministicWeights.Kind.CONV_WEIGHT, DeterministicWeights.kindOf("block_two.conv.3.weight"));
        assertEquals(DeterministicWeights.Kind.CONV_BIAS, DeterministicWeights.kindOf("block_two.conv.3.bias"));
        assertEquals(DeterministicWeights.Kind.BN_WEIGHT, DeterministicWeights.kindOf("block_two.conv.4.weight"));
        assertEquals(DeterministicWeights.Kind.BN_BIAS, DeterministicWeights.kindOf("block_five_up.conv.1.bias"));
        assertEquals(DeterministicWeights.Kind.CONV_WEIGHT, DeterministicWeights.kindOf("block_five_up.conv.0.weight"));
        assertEquals(DeterministicWeights.Kind.CONV_BIAS, DeterministicWeights.kindOf("out_conv_4.bias"));
        assertEquals(DeterministicWeights.Kind.BN_RUNNING_VAR, DeterministicWeights.kindOf("block_one.conv.1.running_var"));
        assertThrows(IllegalArgumentException.class,
                () -> DeterministicWeights.kindOf("block_one.conv.1.num_batches_tracked"));
    }
}
