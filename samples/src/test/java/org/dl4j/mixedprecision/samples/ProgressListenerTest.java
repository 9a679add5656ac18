package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionConfig;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {

    @Test
    void plainLinesEveryTenthWithTheTimeLeft() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        MultiLayerNetwork network = new MultiLayerNetwork(MnistLeNet.lenet(1));
        network.init();
        ProgressListener progress = new ProgressListener("fp32", 200, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                false, clock::get);
        progress.onEpochStart(network);   // as DL4J's fit does, before the first iteration
        for (int i = 0; i < 200; i++) {
            clock.addAndGet(1_500_000_000L);   // 1.5 s per iteration
            progress.iterationDone(network, i, i / 100);
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(10, lines.length, "one line per 20 iterations");
        assertTrue(lines[0].contains("fp32  epoch 1  iteration 20/200 [##..................]"), lines[0]);
        assertTrue(lines[0].endsWith("ETA 4m 30s"), "180 iterations of 1.5 s left: " + lines[0]);
        assertTrue(lines[9].contains("epoch 2  iteration 200/200 [####################]") && lines[9].endsWith("ETA 0s"),
                lines[9]);
        assertFalse(lines[0].contains("scale"), "an FP32 network has no loss scale");
    }

    @Test
    void aTerminalLineIsRedrawnAndShowsTheLossScale() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MultiLayerNetwork fp32 = new MultiLayerNetwork(MnistLeNet.lenet(1));
        fp32.init();
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32, MixedPrecisionConfig.builder().initialScale(1024).build());
        ProgressListener progress = new ProgressListener("mixed", 3, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                true, System::nanoTime);
        for (int i = 0; i < 3; i++) {
            progress.iterationDone(mixed, i, 0);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(3, text.chars().filter(c -> c == '\r').count(), "one redraw per iteration");
        assertTrue(text.endsWith("\n") && text.indexOf('\n') == text.length() - 1, "a newline only at the end");
        assertTrue(text.contains("scale 1024  ETA"), text);
    }
}
