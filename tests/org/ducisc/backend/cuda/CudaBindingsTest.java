package org.ducisc.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.InterpolationMode;
import org.ducisc.core.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The hand-written bindings against native/ducisc_cuda.h, parsed here: every declared function has a
 * descriptor with the same return and parameter types, and a final method handle in
 * CudaKernels; the op codes and constants agree with the Java enums and CudaAbi. Needs no GPU and
 * no library (CudaKernels is inspected without being initialised).
 */
class CudaBindingsTest {
    private static final Path HEADER = Path.of("native", "ducisc_cuda.h");
    private static final Pattern FUNCTION = Pattern.compile(
            "^(int|const char \\*)\\s*(ducisc_cuda_\\w+)\\(([^)]*)\\);", Pattern.MULTILINE);
    private static final Pattern DEFINE = Pattern.compile("^#define (DUCISC_\\w+) (\\d+)$", Pattern.MULTILINE);

    private static String header() throws IOException {
        return Files.readString(HEADER);
    }

    /** Declared functions: name -> descriptor derived from the C types. */
    private static Map<String, FunctionDescriptor> declared() throws IOException {
        Map<String, FunctionDescriptor> out = new LinkedHashMap<>();
        Matcher m = FUNCTION.matcher(header());
        while (m.find()) {
            MemoryLayout ret = m.group(1).equals("int") ? JAVA_INT : ADDRESS;
            List<MemoryLayout> params = new ArrayList<>();
            String list = m.group(3).replaceAll("\\s+", " ").trim();
            if (!list.equals("void")) {
                for (String p : list.split(",")) {
                    params.add(layoutOf(p.trim(), m.group(2)));
                }
            }
            out.put(m.group(2), FunctionDescriptor.of(ret, params.toArray(MemoryLayout[]::new)));
        }
        return out;
    }

    private static MemoryLayout layoutOf(String param, String function) {
        if (param.contains("*")) {
            return ADDRESS;
        }
        String type = param.substring(0, param.lastIndexOf(' '));
        return switch (type) {
            case "int32_t" -> JAVA_INT;
            case "int64_t" -> JAVA_LONG;
            case "float" -> JAVA_FLOAT;
            default -> throw new AssertionError(function + ": parameter type '" + type + "' has no mapping");
        };
    }

    private static Map<String, Integer> defines() throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        Matcher m = DEFINE.matcher(header());
        while (m.find()) {
            out.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return out;
    }

    @Test
    void everyHeaderFunctionHasADescriptorOfTheSameSignature() throws IOException {
        Map<String, FunctionDescriptor> declared = declared();
        assertTrue(declared.size() >= 20, "parsed only " + declared.size() + " functions from " + HEADER);
        for (Map.Entry<String, FunctionDescriptor> e : declared.entrySet()) {
            FunctionDescriptor bound = CudaAbi.FUNCTIONS.get(e.getKey());
            assertTrue(bound != null, e.getKey() + " is declared in the header but has no binding");
            assertEquals(e.getValue().argumentLayouts().size(), bound.argumentLayouts().size(), e.getKey() + ": arity");
            assertEquals(e.getValue(), bound, e.getKey() + ": parameter or return types");
        }
        for (String name : CudaAbi.FUNCTIONS.keySet()) {
            assertTrue(declared.containsKey(name), name + " is bound but not declared in the header");
        }
    }

    @Test
    void everyFunctionHasAFinalMethodHandle() throws Exception {
        Class<?> kernels = Class.forName(CudaBindingsTest.class.getPackageName() + ".CudaKernels", false,
                CudaBindingsTest.class.getClassLoader());
        for (String name : declared().keySet()) {
            String field = name.substring("ducisc_cuda_".length()).toUpperCase(Locale.ROOT);
            Field f = kernels.getDeclaredField(field);
            assertEquals(MethodHandle.class, f.getType(), field);
            assertTrue(!Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers()),
                    field + " must be a final instance field (one set of handles per kernel library)");
        }
    }

    @Test
    void opCodesAreTheJavaEnumOrdinals() throws IOException {
        Map<String, Integer> d = defines();
        checkEnum(d, "DUCISC_UNARY_", UnaryOp.values());
        checkEnum(d, "DUCISC_BINARY_", BinaryOp.values());
        checkEnum(d, "DUCISC_COMPARE_", CompareOp.values());
        checkEnum(d, "DUCISC_INTERPOLATION_", InterpolationMode.values());
        assertEquals(CudaAbi.VERSION, d.get("DUCISC_CUDA_ABI_VERSION"));
        assertEquals(CudaAbi.BAD_ARGUMENT, d.get("DUCISC_BAD_ARGUMENT"));
        assertEquals(CudaAbi.MAX_RANK, d.get("DUCISC_MAX_RANK"));
        assertEquals(CudaAbi.CONV_GEOMETRY_INTS, d.get("DUCISC_CONV_GEOMETRY_INTS"));
    }

    private static void checkEnum(Map<String, Integer> defines, String prefix, Enum<?>[] values) {
        long declared = defines.keySet().stream().filter(k -> k.startsWith(prefix)).count();
        assertEquals(values.length, declared, prefix + "* constants in the header");
        for (Enum<?> v : values) {
            assertEquals(v.ordinal(), defines.get(prefix + v.name()), prefix + v.name());
        }
    }

    /** Where native/build.sh has run (nvcc present), the library loads and binds every symbol, GPU or not. */
    @Test
    void builtLibraryBindsEverySymbol() {
        assumeTrue(CudaLibrary.find().isPresent(), "libducisc_cuda.so not built (no nvcc)");
        assertEquals(CudaAbi.VERSION, CudaKernels.gpu().abiVersion());
        assertEquals("", CudaKernels.gpu().lastError());
    }

    /** The emulated device's library (built by every mvn test) binds every symbol too. */
    @Test
    void hostLibraryBindsEverySymbol() {
        java.nio.file.Path host = CudaLibrary.findHost().orElseThrow(() -> new AssertionError(
                CudaLibrary.hostFileName() + " not built: mvn runs native/build.sh --host before the tests"));
        CudaKernels kernels = CudaKernels.emulated(host);
        assertEquals(CudaAbi.VERSION, kernels.abiVersion());
        assertEquals("", kernels.lastError());
    }
}
