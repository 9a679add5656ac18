package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dl4j.mixedprecision.samples.spark.MnistLeNetSpark;
import org.dl4j.mixedprecision.samples.spark.MnistLeNetSpark.Options;
import org.dl4j.mixedprecision.samples.spark.MnistLeNetSpark.Result;
import org.junit.jupiter.api.Test;

/**
 * The Spark sample, small: LeNet-5 on real MNIST digits, trained by dl4j-spark's parameter averaging in
 * {@code local[2]}, reaches FP32's accuracy in mixed precision, and the driver ends with the workers' scale.
 */
class MnistLeNetSparkTest {

    @Test
    void mixedPrecisionOnSparkMatchesFp32AndTheScaleComesBack() {
        List<Result> results = MnistLeNetSpark.runExample(
                new Options(null, "local[2]", 2000, 1000, 2, 32, 5, 123, List.of("fp32", "mixed")));
        System.out.println(MnistLeNetSpark.table(results));
        Result fp32 = results.get(0);
        Result mixed = results.get(1);
        assertEquals("mixed", mixed.precision());
        assertEquals(126, mixed.workerSteps(), "2 epochs of 63 minibatches");
        assertTrue(fp32.accuracy() > 0.8, "FP32 LeNet should learn MNIST on Spark: " + fp32.accuracy());
        assertEquals(fp32.accuracy(), mixed.accuracy(), 0.02, "mixed precision within 2 points of FP32 on Spark");
        assertTrue(Double.isFinite(mixed.finalLoss()), "finite loss: " + mixed.finalLoss());
        assertTrue(mixed.skippedSteps() < 0.1 * mixed.workerSteps(), mixed.skippedSteps() + " skipped");
        assertTrue(mixed.finalScale() > 1, "the workers' calibrated scale came back to the driver: " + mixed.finalScale());
    }
}
