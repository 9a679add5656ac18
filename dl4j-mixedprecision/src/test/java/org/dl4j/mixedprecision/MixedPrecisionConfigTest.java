package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class MixedPrecisionConfigTest {

    @Test
    void defaultsArePyTorchGradScalers() {
        MixedPrecisionConfig config = MixedPrecisionConfig.defaults();
        assertEquals(MixedPrecisionConfig.Scaling.DYNAMIC, config.scaling());
        assertTrue(config.calibratesInitialScale());
        assertEquals(65536.0, config.initialScale(), "the start with calibrateInitialScale(false)");
        assertEquals(2.0, config.growthFactor());
        assertEquals(0.5, config.backoffFactor());
        assertEquals(2000, config.growthInterval());
        assertEquals(50, config.maxConsecutiveSkippedSteps());
        assertEquals(Math.pow(2, -24), config.minScale(), "FP16's smallest subnormal");
        assertEquals(Math.pow(2, 24), config.maxScale());
        assertEquals(config, MixedPrecisionConfig.builder().build());
        assertEquals(config.hashCode(), MixedPrecisionConfig.builder().build().hashCode());
        assertNotEquals(config, MixedPrecisionConfig.builder().growthInterval(10).build());
    }

    @Test
    void aFixedInitialScaleTurnsCalibrationOff() {
        assertFalse(MixedPrecisionConfig.builder().initialScale(1024).build().calibratesInitialScale());
        assertFalse(MixedPrecisionConfig.builder().calibrateInitialScale(false).build().calibratesInitialScale());
        assertFalse(MixedPrecisionConfig.builder().staticScale(8).build().calibratesInitialScale());
        assertFalse(MixedPrecisionConfig.builder().noScaling().build().calibratesInitialScale());
        assertTrue(MixedPrecisionConfig.builder().maxScale(1024).build().calibratesInitialScale(),
                "a calibrated start is bounded by maxScale, not checked against initialScale");
        assertNotEquals(MixedPrecisionConfig.defaults(), MixedPrecisionConfig.builder().initialScale(65536).build());
    }

    @Test
    void staticAndNoScalingModes() {
        MixedPrecisionConfig fixed = MixedPrecisionConfig.builder().staticScale(256).build();
        assertEquals(MixedPrecisionConfig.Scaling.STATIC, fixed.scaling());
        assertEquals(256.0, fixed.initialScale());
        MixedPrecisionConfig none = MixedPrecisionConfig.builder().noScaling().build();
        assertEquals(MixedPrecisionConfig.Scaling.NONE, none.scaling());
        assertEquals(1.0, none.initialScale());
    }

    @Test
    void invalidValuesAreRejectedWithTheValueAndAFix() {
        assertRejected(b -> b.initialScale(0), "initialScale", "0.0");
        assertRejected(b -> b.initialScale(-2), "initialScale", "-2.0");
        assertRejected(b -> b.initialScale(Double.NaN), "initialScale", "NaN");
        assertRejected(b -> b.staticScale(Double.POSITIVE_INFINITY), "staticScale", "Infinity");
        assertRejected(b -> b.growthFactor(1), "growthFactor", "1.0");
        assertRejected(b -> b.growthFactor(0.5), "growthFactor", "0.5");
        assertRejected(b -> b.backoffFactor(0), "backoffFactor", "0.0");
        assertRejected(b -> b.backoffFactor(1), "backoffFactor", "1.0");
        assertRejected(b -> b.backoffFactor(1.5), "backoffFactor", "1.5");
        assertRejected(b -> b.growthInterval(0), "growthInterval", "0");
        assertRejected(b -> b.minScale(-1), "minScale", "-1.0");
        assertRejected(b -> b.maxScale(0), "maxScale", "0.0");
        assertRejected(b -> b.maxConsecutiveSkippedSteps(0), "maxConsecutiveSkippedSteps", "0");
        assertRejected(b -> b.minScale(16).maxScale(8).build(), "minScale (16.0) is larger than maxScale (8.0)", "set minScale <= maxScale");
        assertRejected(b -> b.calibrateInitialScale(false).maxScale(1024).build(), "initialScale (65536.0) is outside",
                "1024.0");
    }

    @Test
    void scalesWhoseReciprocalOrProductLeavesFp16sReachAreRejected() {
        assertRejected(b -> b.staticScale(1e-40), "staticScale", "1.0E-40", "2^-40");
        assertRejected(b -> b.staticScale(1e30), "staticScale", "1.0E30", "2^40");
        assertRejected(b -> b.staticScale(1e300), "staticScale", "1.0E300");
        assertRejected(b -> b.staticScale(Double.MIN_VALUE), "staticScale", "4.9E-324");
        assertRejected(b -> b.minScale(Double.MIN_VALUE), "minScale", "4.9E-324");
        assertRejected(b -> b.initialScale(1e-40), "initialScale", "1.0E-40");
        assertRejected(b -> b.maxScale(1e30), "maxScale", "1.0E30");
        assertRejected(b -> b.growthFactor(1e300), "growthFactor", "1.0E300", "65536");
        assertEquals(0x1p-40, MixedPrecisionConfig.builder().staticScale(0x1p-40).build().initialScale());
        assertEquals(0x1p40, MixedPrecisionConfig.builder().maxScale(0x1p40).build().maxScale());
    }

    @Test
    void contradictorySettingsAreRejectedNamingBoth() {
        assertRejected(b -> b.staticScale(4).initialScale(8).build(), "staticScale", "initialScale");
        assertRejected(b -> b.initialScale(8).staticScale(4).build(), "staticScale", "initialScale");
        assertRejected(b -> b.noScaling().staticScale(4).build(), "noScaling", "staticScale");
        assertRejected(b -> b.noScaling().initialScale(4).build(), "noScaling", "initialScale");
        assertRejected(b -> b.noScaling().growthInterval(5).build(), "noScaling", "growthInterval");
        assertRejected(b -> b.staticScale(4).backoffFactor(0.25).build(), "staticScale", "backoffFactor");
        assertRejected(b -> b.staticScale(4).minScale(1).build(), "staticScale", "minScale");
        assertRejected(b -> b.growthFactor(4).noScaling().build(), "noScaling", "growthFactor");
        assertRejected(b -> b.initialScale(8).calibrateInitialScale(true).build(), "initialScale",
                "calibrateInitialScale(true)");
        assertRejected(b -> b.staticScale(8).calibrateInitialScale(true).build(), "staticScale",
                "calibrateInitialScale(true)");
        assertEquals(8.0, MixedPrecisionConfig.builder().initialScale(8).calibrateInitialScale(false).build()
                .initialScale(), "not a contradiction: both say 'start at 8'");
        assertEquals(MixedPrecisionConfig.Scaling.STATIC, MixedPrecisionConfig.builder().staticScale(8)
                .maxConsecutiveSkippedSteps(3).selfCheck(false).build().scaling(), "settings of every mode combine");
    }

    @Test
    void aConfigurationReadFromJsonIsCheckedAsTheBuilderChecksIt() throws Exception {
        org.nd4j.shade.jackson.databind.ObjectMapper json = org.deeplearning4j.nn.conf.NeuralNetConfiguration.mapper();
        for (MixedPrecisionConfig config : new MixedPrecisionConfig[] {MixedPrecisionConfig.defaults(),
                MixedPrecisionConfig.builder().staticScale(128).build(), MixedPrecisionConfig.builder().noScaling().build(),
                MixedPrecisionConfig.builder().initialScale(1024).growthInterval(7).minScale(1).build()}) {
            assertEquals(config, json.readValue(json.writeValueAsString(config), MixedPrecisionConfig.class));
        }
        String valid = json.writeValueAsString(MixedPrecisionConfig.builder().initialScale(1024).build())
                .replaceAll("\\s", "");
        for (String[] edit : new String[][] {{"\"maxScale\":1.6777216E7", "\"maxScale\":-1.0"},
                {"\"growthInterval\":2000", "\"growthInterval\":0"},
                {"\"initialScale\":1024.0", "\"initialScale\":1.0E30"}}) {
            assertTrue(valid.contains(edit[0]), valid);
            Exception e = assertThrows(Exception.class,
                    () -> json.readValue(valid.replace(edit[0], edit[1]), MixedPrecisionConfig.class));
            String field = edit[0].substring(1, edit[0].indexOf('"', 1));
            assertTrue(rootMessage(e).contains(field), rootMessage(e));
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    private static void assertRejected(Consumer<MixedPrecisionConfig.Builder> change, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.accept(MixedPrecisionConfig.builder()));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should contain '" + fragment + "'");
        }
        assertTrue(e.getMessage().contains(":"), "message should say how to fix it: " + e.getMessage());
    }
}
