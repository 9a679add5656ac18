package org.dl4j.mixedprecision.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.core.storage.Persistable;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.ScaleCalibration;

/**
 * One worker's loss scaling state after a step, as dl4j-spark carries listener updates from the workers
 * back to the driver at the end of each averaging round.
 */
public final class LossScaleReport implements Persistable {

    private static final long serialVersionUID = 1L;
    /** The type of these updates among a stats storage's. */
    public static final String TYPE_ID = "dl4j-mixedprecision-LossScale";

    /** The report's content: the worker, the time and the loss scaling state. */
    private State state;

    /** For decoding. */
    public LossScaleReport() {
    }

    LossScaleReport(String sessionId, String workerId, LossScaleStatus status) {
        ScaleCalibration calibration = status.calibration();
        this.state = new State(sessionId, workerId, System.currentTimeMillis(), status.scale(), status.lastStepScale(),
                status.cleanSteps(), status.skippedSteps(), status.consecutiveSkippedSteps(), status.overflowCount(),
                new ArrayList<>(status.overflowParameters()),
                calibration == null ? null : new double[] {calibration.largestGradient(), calibration.headroom(),
                        calibration.scale()});
    }

    /** @return the worker's state, as {@code MixedPrecision.status} gave it */
    public LossScaleStatus status() {
        double[] calibration = state.calibration();
        return new LossScaleStatus(state.scale(), state.lastStepScale(), state.cleanSteps(), state.skippedSteps(),
                state.consecutiveSkippedSteps(), state.overflowCount(), state.overflowParameters(),
                calibration == null ? null : new ScaleCalibration(calibration[0], calibration[1], calibration[2]));
    }

    @Override
    public String getSessionID() {
        return state.sessionId();
    }

    @Override
    public String getTypeID() {
        return TYPE_ID;
    }

    @Override
    public String getWorkerID() {
        return state.workerId();
    }

    @Override
    public long getTimeStamp() {
        return state.timeStamp();
    }

    @Override
    public int encodingLengthBytes() {
        return encode().length;
    }

    @Override
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            encode(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public void encode(ByteBuffer buffer) {
        buffer.put(encode());
    }

    @Override
    public void encode(OutputStream out) throws IOException {
        ObjectOutputStream objects = new ObjectOutputStream(out);
        objects.writeObject(state);
        objects.flush();
    }

    @Override
    public void decode(byte[] encoded) {
        try {
            decode(new ByteArrayInputStream(encoded));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void decode(ByteBuffer buffer) {
        byte[] encoded = new byte[buffer.remaining()];
        buffer.get(encoded);
        decode(encoded);
    }

    @Override
    public void decode(InputStream in) throws IOException {
        try {
            state = (State) new ObjectInputStream(in).readObject();
        } catch (ClassNotFoundException e) {
            throw new IOException("Not a loss scale report: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "LossScaleReport(" + state.workerId() + ", " + status() + ")";
    }

    /** The report's content. */
    private record State(String sessionId, String workerId, long timeStamp, double scale, double lastStepScale,
                         int cleanSteps, long skippedSteps, int consecutiveSkippedSteps, long overflowCount,
                         List<String> overflowParameters, double[] calibration) implements Serializable {
    }
}
