package org.dl4j.mixedprecision;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.List;
import java.util.function.IntBinaryOperator;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link HalfConversion} on ND4J's CPU backend: Java loops over the arrays' native memory. The HALF
 * gradient is converted, checked for Inf/NaN and divided by the loss scale in one pass (ND4J needs three:
 * assign, sum, divide), and FP32 is rounded to HALF in plain integer arithmetic, several times faster than
 * libnd4j's CPU conversion (which takes about 7 ns per value on the machines this project is measured on,
 * whether through assign, the cast op or NativeOps.convertTypes). Long vectors are split over as many
 * threads as ND4J uses for its ops. Arrays Java cannot address directly (over 2 GiB, not contiguous) go
 * to {@link Nd4jHalfConversion}.
 */
final class CpuHalfConversion implements HalfConversion {

    /** Vectors shorter than this are converted on the calling thread. */
    private static final int PARALLEL_LENGTH = 1 << 18;
    private static final int HALF_EXPONENT = 0x7C00;
    /** The FP32 bits of 2^-14, the smallest normal HALF value. */
    private static final int SMALLEST_NORMAL_HALF = 0x3880_0000;
    /** The FP32 bits of 65520, the smallest value that rounds to HALF infinity. */
    private static final int ROUNDS_TO_HALF_INFINITY = 0x477F_F000;
    private static final float[] HALF_VALUES = halfValues();

    private final int threads;
    private final HalfConversion fallback = new Nd4jHalfConversion();

    /** @param threads how many threads convert long vectors (ND4J's own thread count in {@link HalfConversion#forBackend()}) */
    CpuHalfConversion(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("The thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
    }

    @Override
    public long toFloat(INDArray half, INDArray fp32, List<INDArray> divided, double divisor) {
        if (!javaAddressable(half, DataType.HALF) || !javaAddressable(fp32, DataType.FLOAT)) {
            return fallback.toFloat(half, fp32, divided, divisor);
        }
        Vectors vectors = new Vectors(half, fp32);
        float multiplier = (float) (1.0 / divisor);
        long nonFinite = 0;
        int position = 0;
        for (INDArray part : divided) {
            int partStart = (int) (part.offset() - fp32.offset());
            int partEnd = partStart + (int) part.length();
            if (partStart < position) {
                throw new IllegalArgumentException("The parts to divide must be in ascending offset order, not"
                        + " overlapping: a part starts at " + partStart + ", before " + position);
            }
            nonFinite += split(position, partStart, (from, to) -> vectors.toFloat(from, to, 1f));
            nonFinite += split(partStart, partEnd, (from, to) -> vectors.toFloat(from, to, multiplier));
            position = partEnd;
        }
        return nonFinite + split(position, (int) fp32.length(), (from, to) -> vectors.toFloat(from, to, 1f));
    }

    @Override
    public void toHalf(INDArray fp32, INDArray half) {
        if (!javaAddressable(half, DataType.HALF) || !javaAddressable(fp32, DataType.FLOAT)) {
            fallback.toHalf(fp32, half);
            return;
        }
        Vectors vectors = new Vectors(half, fp32);
        split(0, (int) fp32.length(), vectors::toHalf);
    }

    /** Runs the task on [from, to), in one chunk per thread when the range is long; sums its results. */
    private long split(int from, int to, IntBinaryOperator task) {
        int length = to - from;
        if (threads == 1 || length < PARALLEL_LENGTH) {
            return task.applyAsInt(from, to);
        }
        int chunk = (length + threads - 1) / threads;
        return IntStream.range(0, threads).parallel().mapToLong(index -> {
            int start = Math.min(to, from + index * chunk);
            return task.applyAsInt(start, Math.min(to, start + chunk));
        }).sum();
    }

    /**
     * @return the HALF bits of the HALF value nearest to {@code value}, ties to even; values from 65520 up
     *         become Infinity, NaN stays NaN
     */
    static short toHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7FFF_FFFF;
        if (magnitude >= ROUNDS_TO_HALF_INFINITY) {
            return (short) (sign | HALF_EXPONENT | (magnitude > 0x7F80_0000 ? 0x0200 : 0));
        }
        if (magnitude >= SMALLEST_NORMAL_HALF) {
            // Drop 13 mantissa bits rounding to nearest even (a carry moves into the exponent), then
            // rebias the exponent from FP32's 127 to HALF's 15.
            int rounded = magnitude + 0x0FFF + ((magnitude >>> 13) & 1);
            return (short) (sign | ((rounded - 0x3800_0000) >>> 13));
        }
        // Subnormal HALF values are the multiples of 2^-24: scale exactly, round half to even.
        return (short) (sign | (int) Math.rint(Float.intBitsToFloat(magnitude) * 0x1p24f));
    }

    /** @return the FP32 value of each of the 65536 HALF bit patterns */
    private static float[] halfValues() {
        float[] values = new float[1 << 16];
        for (int bits = 0; bits < values.length; bits++) {
            int sign = (bits & 0x8000) << 16;
            int exponent = (bits & HALF_EXPONENT) >>> 10;
            int mantissa = bits & 0x03FF;
            if (exponent == 0) {
                values[bits] = Float.intBitsToFloat(sign | Float.floatToRawIntBits(mantissa * 0x1p-24f));
            } else {
                int fp32Exponent = exponent == 0x1F ? 0xFF : exponent + 112;
                values[bits] = Float.intBitsToFloat(sign | (fp32Exponent << 23) | (mantissa << 13));
            }
        }
        return values;
    }

    private static boolean javaAddressable(INDArray array, DataType type) {
        return array.dataType() == type && array.rank() == 1 && array.elementWiseStride() == 1
                && array.data().underlyingLength() * array.data().getElementSize() <= Integer.MAX_VALUE;
    }

    /** A HALF vector and an FP32 vector of the same length, as buffers over their memory. */
    private static final class Vectors {

        private final ShortBuffer half;
        private final int halfStart;
        private final FloatBuffer fp32;
        private final int fp32Start;

        Vectors(INDArray half, INDArray fp32) {
            if (half.length() != fp32.length()) {
                throw new IllegalArgumentException("HALF and FP32 vectors differ in length: " + half.length()
                        + " and " + fp32.length());
            }
            this.half = half.data().asNio().order(ByteOrder.nativeOrder()).asShortBuffer();
            this.halfStart = (int) half.offset();
            this.fp32 = fp32.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            this.fp32Start = (int) fp32.offset();
        }

        /** @return how many HALF values in [from, to) are Inf or NaN */
        int toFloat(int from, int to, float multiplier) {
            int nonFinite = 0;
            for (int i = from; i < to; i++) {
                int bits = half.get(halfStart + i) & 0xFFFF;
                nonFinite += (bits & HALF_EXPONENT) == HALF_EXPONENT ? 1 : 0;
                fp32.put(fp32Start + i, HALF_VALUES[bits] * multiplier);
            }
            return nonFinite;
        }

        int toHalf(int from, int to) {
            for (int i = from; i < to; i++) {
                half.put(halfStart + i, CpuHalfConversion.toHalf(fp32.get(fp32Start + i)));
            }
            return 0;
        }
    }
}
