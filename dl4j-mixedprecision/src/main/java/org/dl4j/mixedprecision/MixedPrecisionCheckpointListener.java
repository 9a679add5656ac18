package org.dl4j.mixedprecision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.listeners.Checkpoint;
import org.deeplearning4j.optimize.listeners.CheckpointListener;

/**
 * DL4J's {@link CheckpointListener} for a mixed-precision network, with the counts a resumed run continues
 * from. Every option of the listener (save every N iterations, epochs or minutes, keep the last N) works
 * as documented; each checkpoint is a DL4J model file, written by the {@code CheckpointListener} as usual (not
 * through {@link MixedPrecisionSerializer}'s write-then-rename), that {@link MixedPrecisionSerializer} restores.
 *
 * <p>DL4J calls listeners before it counts the iteration (or epoch) whose update the parameters already
 * hold, so a plain {@code CheckpointListener} saves a count one lower than a resumed run should continue
 * from (in FP32 too), and Adam's bias correction of the resumed run is one step behind. This listener
 * saves the counts as they are once the iteration is counted. {@link MixedPrecision#enable} wraps the
 * {@code CheckpointListener}s of the network it is given; wrap one yourself when you add it:
 *
 * <pre>{@code
 * CheckpointListener checkpoints = new CheckpointListener.Builder(dir).keepLast(3).saveEveryNIterations(500).build();
 * net.addListeners(new MixedPrecisionCheckpointListener(checkpoints));
 * ...
 * MultiLayerNetwork resumed = MixedPrecisionSerializer.restoreMultiLayerNetwork(
 *         checkpoints.getFileForCheckpoint(checkpoints.lastCheckpoint()));
 * }</pre>
 */
public final class MixedPrecisionCheckpointListener extends BaseTrainingListener {

    private final CheckpointListener checkpoints;

    /** @param checkpoints DL4J's checkpoint listener, configured as usual */
    public MixedPrecisionCheckpointListener(CheckpointListener checkpoints) {
        if (checkpoints == null) {
            throw new IllegalArgumentException("checkpoints must not be null");
        }
        this.checkpoints = checkpoints;
    }

    /** @return the wrapped listener: list and locate its checkpoints with it */
    public CheckpointListener checkpoints() {
        return checkpoints;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        Network network = Network.of(model);
        withCounts(network, iteration + 1, network.epochCount(), () -> checkpoints.iterationDone(model, iteration, epoch));
    }

    @Override
    public void onEpochEnd(Model model) {
        Network network = Network.of(model);
        withCounts(network, network.iterationCount(), network.epochCount() + 1, () -> checkpoints.onEpochEnd(model));
    }

    private static void withCounts(Network network, int iterationCount, int epochCount, Runnable call) {
        int iterations = network.iterationCount();
        int epochs = network.epochCount();
        network.setCounts(iterationCount, epochCount);
        try {
            call.run();
        } finally {
            network.setCounts(iterations, epochs);
        }
    }

    @Override
    public String toString() {
        return "MixedPrecisionCheckpointListener(" + checkpoints + ")";
    }
}
