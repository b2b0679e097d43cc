package org.ducisc.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that executes nothing: it understands the opcodes of protocols 2 to 5 that
 * {@code torch.save} writes for state dicts (containers, numbers, strings, memo, persistent ids)
 * and rebuilds only tensors, storages, (ordered) dicts and bytes. Any other global (a class, a function
 * such as {@code posix.system}) is refused when it is named, before anything could call it, the
 * rule of PyTorch's {@code torch.load(weights_only=True)} (torch/_weights_only_unpickler.py).
 *
 * <p>Values: None is {@link #NONE}; bool, int (as {@link Long}), float (as {@link Double}), str,
 * bytes ({@code byte[]}), list ({@link List}), tuple ({@link Tuple}), dict and OrderedDict
 * ({@link LinkedHashMap}, insertion order kept), storages ({@link StorageRef}) and tensors
 * ({@link TensorRef}). Every length is checked against the bytes left before anything is allocated,
 * and every opcode consumes input, so a corrupt pickle ends in a {@link PickleException}, never a
 * hang or a huge allocation.
 */
final class TorchUnpickler {
    /** Python's None (the stack holds no Java nulls). */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        Tuple {
            items = List.copyOf(items);
        }
    }

    /**
     * A storage named by a persistent id {@code ('storage', torch.<Type>Storage, key, location, numel)}:
     * its element type, its record in the archive ({@code data/<key>}) and its length in elements.
     */
    record StorageRef(StorageType type, String key, long numel) {}

    /**
     * A tensor from {@code torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)}:
     * element {@code (i0, i1, ...)} is storage element {@code offset + sum(i_k * stride_k)} (elements, not bytes).
     */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    /** The storage classes a persistent id may name, with their element size in bytes. */
    enum StorageType {
        FLOAT("FloatStorage", 4), HALF("HalfStorage", 2), BFLOAT16("BFloat16Storage", 2), DOUBLE("DoubleStorage", 8),
        LONG("LongStorage", 8), INT("IntStorage", 4);

        final String className;
        final int itemSize;

        StorageType(String className, int itemSize) {
            this.className = className;
            this.itemSize = itemSize;
        }

        boolean isInteger() {
            return this == LONG || this == INT;
        }
    }

    /** A malformed pickle, or one that asks for something this reader refuses to do. */
    static final class PickleException extends Exception {
        private static final long serialVersionUID = 1L;

        PickleException(String message) {
            super(message);
        }
    }

    /** An allowed callable, named by GLOBAL / STACK_GLOBAL. */
    private record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
    /** How protocol 2 pickles bytes: {@code _codecs.encode(str, 'latin1')}. */
    private static final Global ENCODE = new Global("_codecs", "encode");
    private static final Set<Global> CALLABLES = Set.of(ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, ENCODE);
    private static final int MAX_GLOBAL_LINE = 256;
    private static final int MAX_DIMS = 64;

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private TorchUnpickler(byte[] pickle) {
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads one pickled object. */
    static Object load(byte[] pickle) throws PickleException {
        return new TorchUnpickler(pickle).run();
    }

    /** The names of the globals this reader accepts, for messages. */
    static String allowedGlobals() {
        StringBuilder s = new StringBuilder("collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
                + "torch._utils._rebuild_parameter, _codecs.encode (latin-1 bytes)");
        for (StorageType t : StorageType.values()) {
            s.append(", torch.").append(t.className);
        }
        return s.toString();
    }

    private Object run() throws PickleException {
        while (true) {
            if (!in.hasRemaining()) {
                throw new PickleException("pickle ends without its STOP opcode (truncated?)");
            }
            int at = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto < 2 || proto > 5) {
                        throw new PickleException("pickle protocol " + proto + " (expected 2 to 5)");
                    }
                }
                case 0x95 -> skip(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw new PickleException("pickle ends with " + stack.size() + " values on the stack");
                    }
                    return stack.get(0);
                }
                case '(' -> {
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) need(4).getInt());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (need(2).getShort() & 0xffff));
                case 0x8a -> push(longOf(u8()));
                case 0x8b -> push(longOf(length(need(4).getInt() & 0xffffffffL)));
                case 'G' -> push(need(8).order(ByteOrder.BIG_ENDIAN).getDouble());
                case 0x8c -> push(text(u8(), true));
                case 'X' -> push(text(need(4).getInt() & 0xffffffffL, true));
                case 0x8d -> push(text(need(8).getLong(), true));
                case 'U' -> push(text(u8(), false));
                case 'T' -> push(text(need(4).getInt() & 0xffffffffL, false));
                case 'C' -> push(bytes(u8()));
                case 'B' -> push(bytes(need(4).getInt() & 0xffffffffL));
                case 0x8e -> push(bytes(need(8).getLong()));
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(popMark()));
                case 0x85 -> push(new Tuple(List.of(pop())));
                case 0x86 -> {
                    Object b = pop();
                    push(new Tuple(List.of(pop(), b)));
                }
                case 0x87 -> {
                    Object c = pop();
                    Object b = pop();
                    push(new Tuple(List.of(pop(), b, c)));
                }
                case ']' -> push(new ArrayList<>());
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>());
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    dict(peek()).put(key(k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw new PickleException("SETITEMS with an odd number of values");
                    }
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i < items.size(); i += 2) {
                        d.put(key(items.get(i)), items.get(i + 1));
                    }
                }
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(need(4).getInt() & 0xffffffffL, peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(need(4).getInt() & 0xffffffffL));
                case 'c' -> push(global(line(), line()));
                case 0x93 -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new PickleException("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop();
                    push(reduce(pop(), args));
                }
                case 'b' -> build(pop(), peek());
                case 'Q' -> push(persistent(pop()));
                default -> throw new PickleException(String.format(
                        "opcode 0x%02x at byte %d is not allowed (only the opcodes of tensors, numbers, strings and"
                                + " containers are)", op, at));
            }
        }
    }

    /** Checks a global against the allow-list: a refused name never reaches any code. */
    private static Object global(String module, String name) throws PickleException {
        Global g = new Global(module, name);
        if (CALLABLES.contains(g)) {
            return g;
        }
        if (module.equals("torch")) {
            for (StorageType t : StorageType.values()) {
                if (t.className.equals(name)) {
                    return t;
                }
            }
        }
        throw new PickleException("refused global '" + g.qualified() + "': only " + allowedGlobals()
                + " are allowed, as torch.load(weights_only=True) allows (nothing was executed)");
    }

    private Object reduce(Object callable, Object argsObj) throws PickleException {
        if (!(argsObj instanceof Tuple(List<Object> args))) {
            throw new PickleException("REDUCE arguments are not a tuple");
        }
        if (ORDERED_DICT.equals(callable)) {
            if (!args.isEmpty()) {
                throw new PickleException("collections.OrderedDict called with arguments");
            }
            return new LinkedHashMap<>();
        }
        if (ENCODE.equals(callable)) {
            if (args.size() != 2 || !(args.get(0) instanceof String text)
                    || !("latin1".equals(args.get(1)) || "latin-1".equals(args.get(1)))) {
                throw new PickleException("_codecs.encode is accepted only as (str, 'latin1'), the pickling of bytes");
            }
            return text.getBytes(StandardCharsets.ISO_8859_1);
        }
        if (REBUILD_PARAMETER.equals(callable)) {
            if (args.size() < 1 || !(args.get(0) instanceof TensorRef t)) {
                throw new PickleException("torch._utils._rebuild_parameter without a tensor");
            }
            return t;
        }
        if (REBUILD_TENSOR.equals(callable)) {
            if (args.size() < 4 || !(args.get(0) instanceof StorageRef s) || !(args.get(1) instanceof Long offset)) {
                throw new PickleException("torch._utils._rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
            }
            long[] size = longs("size", args.get(2));
            long[] stride = longs("stride", args.get(3));
            if (size.length != stride.length) {
                throw new PickleException("tensor size " + java.util.Arrays.toString(size) + " and stride "
                        + java.util.Arrays.toString(stride) + " differ in length");
            }
            return new TensorRef(s, offset, size, stride);
        }
        throw new PickleException("REDUCE on " + describe(callable) + ", which is not callable here");
    }

    /** BUILD sets an object's state: accepted only for a dict (an OrderedDict's _metadata, dropped). */
    private static void build(Object state, Object target) throws PickleException {
        if (!(target instanceof LinkedHashMap<?, ?>)) {
            throw new PickleException("BUILD on " + describe(target) + " (only an OrderedDict's attributes are accepted)");
        }
        if (!(state instanceof Map<?, ?>) && state != NONE && !(state instanceof Tuple)) {
            throw new PickleException("BUILD with " + describe(state));
        }
    }

    private static Object persistent(Object pid) throws PickleException {
        if (!(pid instanceof Tuple(List<Object> t)) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw new PickleException("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        if (!(t.get(1) instanceof StorageType type)) {
            throw new PickleException("persistent id names " + describe(t.get(1)) + ", not a storage type");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw new PickleException("persistent id " + describe(pid) + " has a bad key or length");
        }
        return new StorageRef(type, key, numel);
    }

    private static long[] longs(String what, Object o) throws PickleException {
        if (!(o instanceof Tuple(List<Object> items)) || items.size() > MAX_DIMS) {
            throw new PickleException("tensor " + what + " is " + describe(o) + ", not a tuple of integers");
        }
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v)) {
                throw new PickleException("tensor " + what + " holds " + describe(items.get(i)));
            }
            out[i] = v;
        }
        return out;
    }

    private static Object key(Object k) throws PickleException {
        if (k instanceof List<?> || k instanceof Map<?, ?>) {
            throw new PickleException("unhashable dict key " + describe(k));
        }
        return k;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) throws PickleException {
        if (!(o instanceof ArrayList<?>)) {
            throw new PickleException("APPEND to " + describe(o) + ", not a list");
        }
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) throws PickleException {
        if (!(o instanceof LinkedHashMap<?, ?>)) {
            throw new PickleException("SETITEM on " + describe(o) + ", not a dict");
        }
        return (Map<Object, Object>) o;
    }

    static String describe(Object o) {
        if (o instanceof Global g) {
            return g.qualified();
        }
        if (o instanceof StorageType t) {
            return "torch." + t.className;
        }
        if (o instanceof TensorRef) {
            return "a tensor";
        }
        if (o instanceof String s) {
            return "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
        }
        return o == null ? "nothing" : o instanceof Tuple ? "a tuple" : o instanceof List<?> ? "a list"
                : o instanceof Map<?, ?> ? "a dict" : o == MARK ? "a mark" : o.getClass().getSimpleName();
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() throws PickleException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw new PickleException("stack underflow at byte " + in.position());
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws PickleException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw new PickleException("stack underflow at byte " + in.position());
        }
        return stack.get(stack.size() - 1);
    }

    /** Pops everything above the last mark, and the mark. */
    private List<Object> popMark() throws PickleException {
        if (marks.isEmpty()) {
            throw new PickleException("no MARK on the stack at byte " + in.position());
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(long index) throws PickleException {
        Object o = memo.get(index);
        if (o == null) {
            throw new PickleException("memo entry " + index + " read before it was written");
        }
        return o;
    }

    private int u8() throws PickleException {
        return need(1).get() & 0xff;
    }

    private void skip(int n) throws PickleException {
        need(n);
        in.position(in.position() + n);
    }

    /** A view of the next n bytes, consumed. */
    private ByteBuffer need(int n) throws PickleException {
        if (in.remaining() < n) {
            throw new PickleException("pickle truncated at byte " + in.position());
        }
        ByteBuffer b = in.slice(in.position(), n).order(ByteOrder.LITTLE_ENDIAN);
        in.position(in.position() + n);
        return b;
    }

    private int length(long n) throws PickleException {
        if (n < 0 || n > in.remaining()) {
            throw new PickleException("length " + n + " at byte " + in.position() + " runs past the pickle's end");
        }
        return (int) n;
    }

    private String text(long n, boolean utf8) throws PickleException {
        byte[] b = new byte[length(n)];
        in.get(b);
        return new String(b, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    }

    private byte[] bytes(long n) throws PickleException {
        byte[] b = new byte[length(n)];
        in.get(b);
        return b;
    }

    /** A little-endian two's-complement integer of n bytes (LONG1 / LONG4), which must fit 64 bits. */
    private long longOf(int n) throws PickleException {
        if (n > 8) {
            throw new PickleException("integer of " + n + " bytes at byte " + in.position() + " (at most 8 supported)");
        }
        ByteBuffer b = need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b.get(i) & 0xff);
        }
        if (n > 0 && n < 8 && (b.get(n - 1) & 0x80) != 0) {
            v -= 1L << (8 * n);
        }
        return v;
    }

    private String line() throws PickleException {
        int start = in.position();
        for (int i = start; i < in.limit() && i - start <= MAX_GLOBAL_LINE; i++) {
            if (in.get(i) == '\n') {
                byte[] b = new byte[i - start];
                in.get(b);
                in.get();
                return new String(b, StandardCharsets.UTF_8);
            }
        }
        throw new PickleException("GLOBAL name at byte " + start + " has no end of line");
    }
}
