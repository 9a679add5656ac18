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
 * DL4J's {@link CheckpointListener} for a mixed-precision network: every option of the listener (save
 * every N iterations, epochs or minutes, keep the last N) works as documented, and each checkpoint is a
 * {@link MixedPrecisionSerializer} file, which plain DL4J loads as the FP32 network and
 * {@link MixedPrecisionSerializer#restoreMultiLayerNetwork} resumes exactly.
 *
 * <p>{@link MixedPrecision#enable} wraps the {@code CheckpointListener}s of the network it is given; wrap
 * one yourself when you add it to a mixed-precision network:
 *
 * <pre>{@code
 * CheckpointListener checkpoints = new CheckpointListener.Builder(dir).keepLast(3).saveEveryNIterations(500).build();
 * net.addListeners(new MixedPrecisionCheckpointListener(checkpoints));
 * ...
 * MultiLayerNetwork resumed = MixedPrecisionSerializer.restoreMultiLayerNetwork(
 *         checkpoints.getFileForCheckpoint(checkpoints.lastCheckpoint()));
 * }</pre>
 *
 * The wrapped listener writes the FP32 master network (with the iteration and epoch counts of the
 * mixed-precision network, as DL4J counts them when it calls listeners); this listener then adds the loss
 * scaling state and the counts a resumed run continues from to the new file, replacing it in one move. On a network that is not mixed precision it passes the network through unchanged.
 */
public final class MixedPrecisionCheckpointListener extends BaseTrainingListener {

    private static final Field LAST_CHECKPOINT = lastCheckpointField();

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

    /**
     * DL4J calls this before it counts the iteration, whose update the parameters already hold: the
     * checkpoint's state says {@code iteration + 1} iterations, the count a resumed run continues from.
     */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        forward(model, iteration + 1, epoch, network -> checkpoints.iterationDone(network, iteration, epoch));
    }

    /** DL4J calls this before it counts the epoch: the checkpoint's state says one epoch more. */
    @Override
    public void onEpochEnd(Model model) {
        if (MixedPrecision.isMixedPrecision(model)) {
            forward(model, MixedPrecisionSerializer.iterationCount(model), MixedPrecisionSerializer.epochCount(model) + 1,
                    checkpoints::onEpochEnd);
        } else {
            checkpoints.onEpochEnd(model);
        }
    }

    private void forward(Model model, int iterationCount, int epochCount, Consumer<Model> call) {
        if (!MixedPrecision.isMixedPrecision(model)) {
            call.accept(model);
            return;
        }
        Checkpoint before = lastCheckpoint();
        call.accept(MixedPrecisionSerializer.masterForSaving(model));
        Checkpoint after = lastCheckpoint();
        if (after != null && after != before) {
            try {
                MixedPrecisionSerializer.addState(MixedPrecisionSerializer.stateOf(model, iterationCount, epochCount),
                        checkpoints.getFileForCheckpoint(after).toPath());
            } catch (IOException e) {
                throw new UncheckedIOException("Error adding the mixed-precision state to checkpoint "
                        + after.getFilename(), e);
            }
        }
    }

    private Checkpoint lastCheckpoint() {
        try {
            return (Checkpoint) LAST_CHECKPOINT.get(checkpoints);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field lastCheckpointField() {
        try {
            Field field = CheckpointListener.class.getDeclaredField("lastCheckpoint");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("This DL4J version's CheckpointListener has no lastCheckpoint field;"
                    + " dl4j-mixedprecision supports DL4J 1.0.0-M2.1", e);
        }
    }

    @Override
    public String toString() {
        return "MixedPrecisionCheckpointListener(" + checkpoints + ")";
    }
}
