package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dl4j.mixedprecision.samples.MnistLeNet;
import org.dl4j.mixedprecision.samples.MnistLeNet.Options;
import org.dl4j.mixedprecision.samples.MnistLeNet.Result;
import org.junit.jupiter.api.Test;

/** The MNIST sample, small: LeNet-5 on real MNIST digits reaches FP32's accuracy in mixed precision. */
class MnistLeNetTest {

    @Test
    void mixedPrecisionMatchesFp32AccuracyAndUsesLessMemory() {
        List<Result> results = MnistLeNet.runExample(new Options(null, 2000, 1000, 2, 32, 123, List.of("fp32", "mixed")));
        System.out.println(MnistLeNet.table(results));
        Result fp32 = results.get(0);
        Result mixed = results.get(1);
        assertEquals("mixed", mixed.precision());
        assertEquals(fp32.iterations(), mixed.iterations());
        assertTrue(fp32.accuracy() > 0.85, "FP32 LeNet should learn MNIST: " + fp32.accuracy());
        assertEquals(fp32.accuracy(), mixed.accuracy(), 0.03, "mixed precision should reach FP32's accuracy");
        assertTrue(mixed.skippedSteps() < 0.1 * mixed.iterations(),
                "the scale settles after a few overflows: " + mixed.skippedSteps() + " of " + mixed.iterations() + " skipped");
        assertTrue(mixed.memory().totalBytes() < 0.75 * fp32.memory().totalBytes(),
                "HALF activations and parameters: " + mixed.memory() + " vs " + fp32.memory());
    }
}
