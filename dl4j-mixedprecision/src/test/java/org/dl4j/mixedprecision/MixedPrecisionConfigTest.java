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

    private static void assertRejected(Consumer<MixedPrecisionConfig.Builder> change, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.accept(MixedPrecisionConfig.builder()));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should contain '" + fragment + "'");
        }
        assertTrue(e.getMessage().contains(":"), "message should say how to fix it: " + e.getMessage());
    }
}
