package org.ducisc.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ducisc convert IN.pth OUT.safetensors}: a PyTorch state dict as our checkpoint. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Writes the V-Net weights of a checkpoint (a PyTorch .pth written by torch.save, read without"
            + " running its pickle; or a safetensors file) as a safetensors checkpoint with the same state-dict names,"
            + " float32, after checking every name and shape against the network."})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Checkpoint to read (.pth / .pt / .safetensors).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Safetensors file to write (written atomically).")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        InferenceOptions.checkWritable(out);
        VNet.Config c = Checkpoint.convert(in, out);
        spec.commandLine().getOut().printf("wrote %s: V-Net, %d base filters, %d classes%s%n", out, c.baseFilters(),
                c.classes(), c.deepSupervision() ? ", deep supervision heads" : "");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
