package org.dl4j.mixedprecision;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The mixed-precision state in files written by version 0.1 of this library, read to restore them: beside
 * DL4J's own model file (FP32 configuration, parameters and updater state), the loss scaling configuration
 * and the scaler's state, the iteration and epoch counts to resume from, a format version and the parameter
 * count, as the JSON entry {@value #ENTRY} of the model's zip file. This version writes no such entry: its
 * network configuration holds the scaler.
 *
 * @param formatVersion  the version of this format the file was written with
 * @param parameterCount the number of parameters of the network the state belongs to
 * @param iterationCount the iterations whose updates the saved parameters hold
 * @param epochCount     the epochs completed
 * @param config         the loss scaling configuration
 * @param status         the loss scaler's state after the last step
 */
record SavedState(int formatVersion, long parameterCount, int iterationCount, int epochCount,
                  MixedPrecisionConfig config, LossScaleStatus status) {

    /** The name of the zip entry. */
    static final String ENTRY = "mixedPrecision.json";
    /** The format version this library writes, and the newest it reads. */
    static final int FORMAT_VERSION = 1;

    private static final String FORMAT = "dl4j-mixedprecision";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param json the content of the {@value #ENTRY} entry
     * @return the state it holds
     * @throws IllegalArgumentException saying what is wrong: not JSON, a missing or invalid field, or a
     *                                  format version newer than this library reads
     */
    static SavedState fromJson(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(ENTRY + " is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(ENTRY + " does not hold \"format\": \"" + FORMAT + "\"");
        }
        int version = wholeInt(root, "formatVersion");
        if (version > FORMAT_VERSION) {
            throw new IllegalArgumentException("its mixed-precision state has format version " + version
                    + ", newer than this dl4j-mixedprecision reads (up to " + FORMAT_VERSION
                    + "): restore it with the newer dl4j-mixedprecision that wrote it");
        }
        if (version < 1) {
            throw new IllegalArgumentException(ENTRY + " has an invalid format version " + version);
        }
        JsonNode config = field(root, "config");
        JsonNode scaler = field(root, "scaler");
        List<String> overflowParameters = new ArrayList<>();
        field(scaler, "overflowParameters").forEach(name -> overflowParameters.add(name.asText()));
        LossScaleStatus status = new LossScaleStatus(number(scaler, "scale"), number(scaler, "lastStepScale"),
                wholeInt(scaler, "cleanSteps"), whole(scaler, "skippedSteps"),
                wholeInt(scaler, "consecutiveSkippedSteps"), whole(scaler, "overflowCount"),
                overflowParameters, calibration(scaler.get("calibration")));
        return new SavedState(version, whole(root, "parameterCount"), wholeInt(root, "iterationCount"),
                wholeInt(root, "epochCount"), config(config), status);
    }

    private static ScaleCalibration calibration(JsonNode json) {
        if (json == null || json.isNull()) {
            return null;
        }
        return new ScaleCalibration(number(json, "largestGradient"), number(json, "headroom"), number(json, "scale"));
    }

    private static MixedPrecisionConfig config(JsonNode json) {
        String scaling = field(json, "scaling").asText();
        if (!List.of("DYNAMIC", "STATIC", "NONE").contains(scaling)) {
            throw new IllegalArgumentException(ENTRY + ": unknown scaling \"" + scaling
                    + "\", expected DYNAMIC, STATIC or NONE");
        }
        return MixedPrecisionConfig.fromJson(MixedPrecisionConfig.Scaling.valueOf(scaling), number(json, "initialScale"),
                field(json, "calibrateInitialScale").asBoolean(), number(json, "growthFactor"),
                number(json, "backoffFactor"), wholeInt(json, "growthInterval"), number(json, "minScale"),
                number(json, "maxScale"), wholeInt(json, "maxConsecutiveSkippedSteps"),
                json.path("selfCheck").asBoolean(true), // absent in files written before it existed
                null);
    }

    private static double number(JsonNode node, String name) {
        JsonNode value = field(node, name);
        if (value.isTextual() && value.asText().equals("Infinity")) {
            return Double.POSITIVE_INFINITY;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException(ENTRY + ": field \"" + name + "\" is not a number: " + value);
        }
        return value.asDouble();
    }

    private static int wholeInt(JsonNode node, String name) {
        long value = whole(node, name);
        if (value != (int) value) {
            throw new IllegalArgumentException(ENTRY + ": field \"" + name + "\" is out of range: " + value);
        }
        return (int) value;
    }

    private static long whole(JsonNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(ENTRY + ": field \"" + name + "\" is not a whole number: " + value);
        }
        return value.asLong();
    }

    private static JsonNode field(JsonNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(ENTRY + ": field \"" + name + "\" is missing");
        }
        return value;
    }
}
