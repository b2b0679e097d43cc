package org.ducisc.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.ducisc.io.CaseData;
import org.ducisc.io.Volume;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * Prepares training batches on one background thread while the current one trains: reads the
 * cases of the train list (each once; they stay in memory, about 10 MB per LA case), augments them
 * with {@link Augmentation}, and stacks the patches into a {@link TrainBatch}. At most
 * {@code prefetch} batches wait, ready, in a queue.
 *
 * <p>Deterministic: batch i's cases come from the {@link TwoStreamBatchSampler} and its augmentation
 * from a generator derived from (seed, i) alone, drawn case by case in batch order (labeled, then
 * unlabeled). So the batch sequence depends on the seed only, never on thread timing, and a loader
 * started at iteration i yields exactly batch i of a run started at 0.
 *
 * <p>Ownership: the tensors are created on the loader thread, which never opens a
 * {@link org.ducisc.tensor.MemoryScope}, so they belong to the consumer of {@link #take}. Batches
 * still queued when the loader closes are closed by it.
 *
 * <p>Errors: an exception on the loader thread (a corrupt file, say) ends it; the batches prepared
 * before it are still delivered, then {@link #take} throws an exception with the original message
 * and the original as its cause (an IOException stays an IOException), and so does every later take.
 */
public final class BatchLoader implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    /**
     * What to load: the first {@code labelnum} cases of the train list are labeled; each batch has
     * {@code labeledBatch} of them and {@code unlabeledBatch} of the rest.
     */
    public record Config(int labelnum, int labeledBatch, int unlabeledBatch, Augmentation augmentation, long seed,
            int prefetch) {
        public Config {
            if (prefetch < 1 || prefetch > 8) {
                throw new IllegalArgumentException("BatchLoader: prefetch must be 1..8 batches, got " + prefetch);
            }
        }

        /** The reference's setting: 2 labeled + 2 unlabeled per batch, the data set's patch and transforms. */
        public static Config reference(DatasetKind kind, int labelnum, long seed) {
            return new Config(labelnum, 2, 2, Augmentation.forKind(kind), seed, 2);
        }
    }

    /** Queue item for a failure on the loader thread. */
    private record Failure(Throwable error) {}

    private final Dataset dataset;
    private final List<String> cases;
    private final Config config;
    private final TwoStreamBatchSampler sampler;
    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private final Map<Integer, CaseData> labeled = new HashMap<>();
    private final Map<Integer, Volume> unlabeled = new HashMap<>();
    private long nextIteration;
    private Throwable failure;
    private volatile boolean closed;

    private BatchLoader(Dataset dataset, List<String> cases, Config config, long startIteration) {
        if (startIteration < 0) {
            throw new IllegalArgumentException("BatchLoader: start iteration must be >= 0, got " + startIteration);
        }
        this.dataset = dataset;
        this.cases = List.copyOf(cases);
        this.config = config;
        this.sampler = TwoStreamBatchSampler.split(config.labelnum(), cases.size(), config.labeledBatch(),
                config.unlabeledBatch(), config.seed());
        this.nextIteration = startIteration;
        this.queue = new ArrayBlockingQueue<>(config.prefetch());
        this.thread = new Thread(() -> run(startIteration), "ducisc-batch-loader-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts loading the train list of {@code dataset} from batch {@code startIteration} (0 for a
     * new run, the saved iteration for a resumed one). Errors in the list or the configuration
     * are thrown here; errors in the case files come from {@link #take}.
     */
    public static BatchLoader start(Dataset dataset, Config config, long startIteration) throws IOException {
        return new BatchLoader(dataset, dataset.trainCases(), config, startIteration);
    }

    public int batchesPerEpoch() {
        return sampler.batchesPerEpoch();
    }

    /** The number of the batch the next {@link #take} returns. */
    public long nextIteration() {
        return nextIteration;
    }

    /** The next batch, waiting for it if it is not ready; the caller closes it. */
    public TrainBatch take() throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("BatchLoader.take: the loader is closed");
        }
        if (failure == null) {
            Object item = queue.take();
            if (item instanceof TrainBatch b) {
                nextIteration++;
                return b;
            }
            failure = ((Failure) item).error();
        }
        if (failure instanceof IOException io) {
            throw new IOException(io.getMessage(), io);
        }
        throw new IllegalStateException(failure.getMessage() != null ? failure.getMessage() : failure.toString(), failure);
    }

    /** Stops the loader thread, waits for it, and frees the batches nobody took. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        for (Object item; (item = queue.poll()) != null; ) {
            if (item instanceof TrainBatch b) {
                b.close();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The loader thread, for tests that check it is gone after close. */
    Thread thread() {
        return thread;
    }

    private void run(long start) {
        try {
            for (long i = start; ; i++) {
                TrainBatch b = build(sampler.batch(i));
                try {
                    queue.put(b);
                } catch (InterruptedException e) {
                    b.close();
                    return;
                }
            }
        } catch (InterruptedException e) {
            return;
        } catch (Throwable t) {
            if (closed) {
                return; // an interrupted file read, because close() stopped us
            }
            try {
                queue.put(new Failure(t));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private TrainBatch build(TwoStreamBatchSampler.Batch batch) throws IOException, InterruptedException {
        Augmentation aug = config.augmentation();
        Rng rng = SeedStreams.of(config.seed(), SeedStreams.AUGMENT, batch.iteration());
        int n = batch.primary().size() + batch.secondary().size();
        int per = aug.patchNumel();
        float[] image = new float[n * per];
        byte[] label = new byte[batch.primary().size() * per];
        List<String> labeledNames = new ArrayList<>();
        List<String> unlabeledNames = new ArrayList<>();
        int slot = 0;
        for (int index : batch.primary()) {
            CaseData c = labeledCase(index);
            Augmentation.Draw d = aug.draw(c.image().shape(), rng);
            aug.applyInto(c.image(), d, image, slot * per);
            aug.applyInto(c.label(), d, label, slot * per);
            labeledNames.add(c.name());
            slot++;
        }
        for (int index : batch.secondary()) {
            Volume v = unlabeledImage(index);
            aug.applyInto(v, aug.draw(v.shape(), rng), image, slot * per);
            unlabeledNames.add(cases.get(index));
            slot++;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        int[] p = aug.patch();
        Tensor imageTensor = Tensor.of(image, n, 1, p[0], p[1], p[2]);
        try {
            Tensor labelTensor = Tensor.ofBytes(label, batch.primary().size(), p[0], p[1], p[2]);
            return new TrainBatch(batch.iteration(), batch.epoch(), labeledNames, unlabeledNames, imageTensor, labelTensor);
        } catch (RuntimeException | Error e) {
            imageTensor.close();
            throw e;
        }
    }

    private CaseData labeledCase(int index) throws IOException, InterruptedException {
        CaseData c = labeled.get(index);
        if (c == null) {
            checkInterrupt();
            c = dataset.read(cases.get(index));
            labeled.put(index, c);
        }
        return c;
    }

    private Volume unlabeledImage(int index) throws IOException, InterruptedException {
        Volume v = unlabeled.get(index);
        if (v == null) {
            checkInterrupt();
            v = dataset.readImage(cases.get(index));
            unlabeled.put(index, v);
        }
        return v;
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    @Override
    public String toString() {
        return "BatchLoader(" + dataset + ", " + config.augmentation() + ", " + sampler + ")";
    }
}
