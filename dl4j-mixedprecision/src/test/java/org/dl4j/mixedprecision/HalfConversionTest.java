package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The Java conversions of the CPU backend give, bit for bit, what ND4J's own conversion and division give,
 * on one thread and split over several, on views at an offset and on arrays Java does not address directly.
 */
class HalfConversionTest {

    /** Long enough to be split over threads. */
    private static final int LENGTH = 300_007;

    static Stream<HalfConversion> conversions() {
        return Stream.of(new CpuHalfConversion(1), new CpuHalfConversion(3), new Nd4jHalfConversion());
    }

    @ParameterizedTest
    @MethodSource("conversions")
    void roundsFp32ToTheNearestHalfValueTiesToEvenAsNd4jDoes(HalfConversion conversion) {
        INDArray fp32 = view(Nd4j.createFromArray(fp32Values()));
        INDArray half = view(Nd4j.create(DataType.HALF, fp32.length()));

        conversion.toHalf(fp32, half);

        assertArrayEquals(bits(fp32.castTo(DataType.HALF)), bits(half));
    }

    @ParameterizedTest
    @MethodSource("conversions")
    void copiesEveryHalfValueAndCountsInfAndNan(HalfConversion conversion) {
        INDArray half = view(bitsAsHalf(Nd4j.createFromArray(allHalfBitPatterns())));
        INDArray fp32 = view(Nd4j.create(DataType.FLOAT, half.length()));

        long nonFinite = conversion.toFloat(half, fp32, List.of(), 1.0);

        assertEquals(2048, nonFinite, "exponent 31: two infinities and 2046 NaN patterns");
        float[] expected = half.castTo(DataType.FLOAT).toFloatVector();
        float[] actual = fp32.toFloatVector();
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), "HALF pattern " + i);
            } else {
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]), "HALF pattern " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("conversions")
    void dividesOnlyTheListedPartsByTheLossScale(HalfConversion conversion) {
        INDArray half = view(Nd4j.rand(DataType.FLOAT, LENGTH + 10).subi(0.5).muli(3000).castTo(DataType.HALF));
        INDArray fp32 = view(Nd4j.create(DataType.FLOAT, half.length()));
        List<INDArray> divided = List.of(fp32.get(NDArrayIndex.interval(0, 1000)),
                fp32.get(NDArrayIndex.interval(1003, 290_000)), fp32.get(NDArrayIndex.interval(290_010, LENGTH)));

        assertEquals(0, conversion.toFloat(half, fp32, divided, 1024.0));

        INDArray expected = half.castTo(DataType.FLOAT);
        for (long[] range : new long[][] {{0, 1000}, {1003, 290_000}, {290_010, LENGTH}}) {
            expected.get(NDArrayIndex.interval(range[0], range[1])).divi(1024.0);
        }
        assertArrayEquals(expected.toFloatVector(), fp32.toFloatVector());
    }

    @ParameterizedTest
    @MethodSource("conversions")
    void convertsArraysJavaDoesNotAddressDirectly(HalfConversion conversion) {
        INDArray fp32 = Nd4j.rand(DataType.FLOAT, 50, 3).getColumn(1);
        INDArray half = Nd4j.create(DataType.HALF, 50, 3).getColumn(2);
        conversion.toHalf(fp32, half);
        assertArrayEquals(bits(fp32.castTo(DataType.HALF)), bits(half));

        INDArray back = Nd4j.create(DataType.FLOAT, 50, 2).getColumn(0);
        assertEquals(0, conversion.toFloat(half, back, List.of(back), 4.0));
        assertArrayEquals(half.castTo(DataType.FLOAT).divi(4.0).toFloatVector(), back.toFloatVector());
    }

    /**
     * FP32 values around every kind of HALF rounding: random magnitudes from 1e-9 to 1e6 of both signs,
     * exact ties between neighbouring HALF values and the FP32 values just beside them, HALF's largest
     * value and the overflow threshold 65520, zeros, the smallest subnormals and infinities.
     */
    private static float[] fp32Values() {
        Random random = new Random(11);
        float[] halfValues = bitsAsHalf(Nd4j.createFromArray(allHalfBitPatterns())).castTo(DataType.FLOAT).toFloatVector();
        float[] values = new float[LENGTH];
        int i = 0;
        float[] edges = {0f, -0f, 65504f, 65519.996f, 65520f, -65520f, 65536f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 0x1p-14f, 0x1.ffcp-15f,
                Float.MIN_VALUE, Float.MAX_VALUE};
        for (float edge : edges) {
            values[i++] = edge;
        }
        while (i < LENGTH) {
            if (i % 2 == 0) {
                float magnitude = (float) Math.pow(10, -9 + 15 * random.nextDouble());
                values[i++] = random.nextBoolean() ? magnitude : -magnitude;
            } else {
                int low = random.nextInt(0x7BFF);
                float tie = (halfValues[low] + halfValues[low + 1]) / 2;
                float[] around = {tie, Math.nextUp(tie), Math.nextDown(tie)};
                values[i++] = around[random.nextInt(3)] * (random.nextBoolean() ? 1 : -1);
            }
        }
        return values;
    }

    private static short[] allHalfBitPatterns() {
        short[] patterns = new short[1 << 16];
        for (int i = 0; i < patterns.length; i++) {
            patterns[i] = (short) i;
        }
        return patterns;
    }

    /** @return a HALF array holding the given 16-bit patterns */
    private static INDArray bitsAsHalf(INDArray shorts) {
        INDArray half = Nd4j.create(DataType.HALF, shorts.length());
        half.data().asNio().asShortBuffer().put(shorts.data().asNio().asShortBuffer());
        return half;
    }

    private static short[] bits(INDArray half) {
        INDArray contiguous = half.dup();
        short[] bits = new short[(int) contiguous.length()];
        contiguous.data().asNio().order(ByteOrder.nativeOrder()).asShortBuffer().get(bits);
        return bits;
    }

    /** @return a view of the same values at an offset inside a longer vector */
    private static INDArray view(INDArray vector) {
        INDArray longer = Nd4j.create(vector.dataType(), vector.length() + 5);
        INDArray view = longer.get(NDArrayIndex.interval(3, 3 + vector.length()));
        view.assign(vector);
        return view;
    }
}
