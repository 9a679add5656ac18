package org.dl4j.mixedprecision;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Captures what the tests' logger (slf4j-simple, which writes to the current {@code System.err}) logs
 * while it is open, and passes it through to the real stream on close.
 */
final class LogCapture implements AutoCloseable {

    private final PrintStream original = System.err;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    LogCapture() {
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    }

    /** @return everything captured so far */
    String text() {
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** @return the captured lines logged at WARN (or above) by this library */
    List<String> warnings() {
        return Arrays.stream(buffer.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(line -> line.matches(".*(WARN|ERROR) org\\.dl4j\\.mixedprecision\\..*"))
                .toList();
    }

    /** @return the captured lines, of any level, that contain the fragment */
    List<String> lines(String fragment) {
        return Arrays.stream(text().split("\n")).filter(line -> line.contains(fragment)).toList();
    }

    /** @return the captured warnings that contain the fragment */
    List<String> warnings(String fragment) {
        return warnings().stream().filter(line -> line.contains(fragment)).toList();
    }

    @Override
    public void close() {
        System.setErr(original);
        original.print(buffer.toString(StandardCharsets.UTF_8));
    }
}
