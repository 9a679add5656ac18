package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LossScalerTest {

    private static LossScaler dynamic(int growthInterval) {
        return new LossScaler(MixedPrecisionConfig.builder().initialScale(1024).growthInterval(growthInterval).build());
    }

    @Test
    void growsAfterExactlyTheIntervalOfCleanSteps() {
        LossScaler scaler = dynamic(3);
        scaler.update(0);
        scaler.update(0);
        assertEquals(1024, scaler.scale());
        assertEquals(2, scaler.cleanSteps());
        scaler.update(0);
        assertEquals(2048, scaler.scale());
        assertEquals(0, scaler.cleanSteps());
        scaler.update(0);
        scaler.update(0);
        scaler.update(0);
        assertEquals(4096, scaler.scale());
    }

    @Test
    void overflowBacksOffSkipsAndResetsTheCleanStepCount() {
        LossScaler scaler = dynamic(3);
        scaler.update(0);
        scaler.update(0);
        scaler.update(7);
        assertEquals(512, scaler.scale());
        assertEquals(0, scaler.cleanSteps());
        assertEquals(1, scaler.skippedSteps());
        assertEquals(1, scaler.consecutiveSkippedSteps());
        assertEquals(7, scaler.overflowCount());
        // Two clean steps after the overflow are not enough to grow: the count restarted.
        scaler.update(0);
        scaler.update(0);
        assertEquals(512, scaler.scale());
        assertEquals(0, scaler.consecutiveSkippedSteps());
        scaler.update(0);
        assertEquals(1024, scaler.scale());
        assertEquals(1, scaler.skippedSteps());
    }

    @Test
    void pyTorchGradScalersDefaultsWithAFixedStart() {
        LossScaler scaler = new LossScaler(MixedPrecisionConfig.builder().initialScale(65536).build());
        assertEquals(65536, scaler.scale());
        for (int i = 0; i < 1999; i++) {
            scaler.update(0);
        }
        assertEquals(65536, scaler.scale());
        scaler.update(0);
        assertEquals(131072, scaler.scale());
        scaler.update(1);
        assertEquals(65536, scaler.scale());
    }

    @Test
    void scaleStaysWithinItsBounds() {
        LossScaler scaler = new LossScaler(MixedPrecisionConfig.builder()
                .initialScale(4).minScale(1).maxScale(8).growthInterval(1).build());
        scaler.update(0);
        assertEquals(8, scaler.scale());
        scaler.update(0);
        assertEquals(8, scaler.scale());
        scaler.update(1);
        scaler.update(1);
        scaler.update(1);
        assertEquals(1, scaler.scale());
        scaler.update(1);
        assertEquals(1, scaler.scale());
        assertEquals(4, scaler.consecutiveSkippedSteps());
    }

    @Test
    void staticAndNoScalingKeepTheScaleButStillCountSkips() {
        LossScaler fixed = new LossScaler(MixedPrecisionConfig.builder().staticScale(128).build());
        for (int step = 0; step <= fixed.config().growthInterval(); step++) {
            fixed.update(0);
        }
        fixed.update(3);
        assertEquals(128, fixed.scale());
        assertEquals(1, fixed.skippedSteps());

        LossScaler none = new LossScaler(MixedPrecisionConfig.builder().noScaling().build());
        assertEquals(1, none.scale());
        none.update(2);
        assertEquals(1, none.scale());
        assertEquals(1, none.skippedSteps());
    }

    @Test
    void skipLimitIsExceededOnlyAfterMoreConsecutiveSkipsThanTolerated() {
        LossScaler scaler = new LossScaler(MixedPrecisionConfig.builder().maxConsecutiveSkippedSteps(2).build());
        scaler.update(1);
        scaler.update(1);
        assertFalse(scaler.skipLimitExceeded());
        scaler.update(1);
        assertTrue(scaler.skipLimitExceeded());
        scaler.update(0);
        assertFalse(scaler.skipLimitExceeded());
    }

    /** Distributed workers start from the network's scaler; their states come back combined. */
    @Test
    void workersStatesCombineToTheSmallestScaleAndSummedCounts() {
        LossScaler driver = new LossScaler(MixedPrecisionConfig.builder().initialScale(1024).growthInterval(100).build());
        driver.update(3); // one skipped step before the round: scale 512, skipped 1, overflow 3
        LossScaler first = driver.copy();
        LossScaler second = driver.copy();
        for (int i = 0; i < 4; i++) {
            first.update(0);
        }
        second.update(5);
        second.update(0);
        second.update(0);

        driver.combine(java.util.List.of(first.status(), second.status()));

        LossScaleStatus combined = driver.status();
        assertEquals(256, combined.scale(), "the smallest a worker ended with");
        assertEquals(2, combined.cleanSteps(), "that worker's clean steps");
        assertEquals(2, combined.skippedSteps(), "1 before the round + 1 on the second worker");
        assertEquals(8, combined.overflowCount());
        assertEquals(0, combined.consecutiveSkippedSteps());

        LossScaleStatus before = driver.status();
        LossScaleStatus impossible = new LossScaleStatus(-1, 256, 0, 2, 0, 8, java.util.List.of(), null);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> driver.combine(java.util.List.of(impossible)));
        assertEquals(before, driver.status(), "left as it was");
    }
}
