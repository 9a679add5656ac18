package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Saving where it cannot be done: a null file or a missing folder gets an error naming the target, and the
 * temporary files of saves killed part-way ({@code kill -9}) are removed by the next save of the same file,
 * unless another process is still writing them.
 */
class ModelFileWritesTest {

    @TempDir
    Path folder;

    private final MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-2), 1)));

    @Test
    void aNullFileIsRefusedWithOneLine() {
        for (var call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> MixedPrecisionSerializer.writeModel(mixed, null),
                () -> MixedPrecisionSerializer.writeInferenceModel(mixed, null, DataType.HALF),
                () -> MixedPrecisionSerializer.restoreMultiLayerNetwork(null),
                () -> MixedPrecisionSerializer.restoreComputationGraph(null))) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
            assertTrue(error.getMessage().startsWith("file must not be null: "), error.getMessage());
        }
    }

    @Test
    void aSaveIntoAMissingFolderNamesTheTargetNotATemporaryFile() {
        File target = folder.resolve("missing").resolve("model.zip").toFile();
        IOException error = assertThrows(IOException.class, () -> MixedPrecisionSerializer.writeModel(mixed, target));
        assertEquals("Cannot write " + target + ": its folder " + target.getParentFile().getAbsolutePath()
                + " does not exist; create it first", error.getMessage());
        assertFalse(target.getParentFile().exists(), "nothing created");
    }

    @Test
    void aSaveOntoAFolderIsRefused() throws IOException {
        Path target = Files.createDirectory(folder.resolve("model.zip"));
        IOException error = assertThrows(IOException.class,
                () -> MixedPrecisionSerializer.writeModel(mixed, target.toFile()));
        assertTrue(error.getMessage().contains("it is a folder"), error.getMessage());
        try (var entries = Files.list(folder)) {
            assertEquals(List.of(target), entries.toList(), "no temporary file left behind");
        }
    }

    @Test
    void theNextSaveRemovesTheDebrisOfKilledSavesOfTheSameFileOnly() throws Exception {
        Path target = folder.resolve("model.zip");
        Path killed1 = temporaryOf("model.zip");
        Path killed2 = temporaryOf("model.zip");
        Path otherTarget = temporaryOf("other.zip");
        Path notOurName = Files.write(folder.resolve(".model.zip.backup.tmp"), new byte[] {1});
        Path stillWritten = temporaryOf("model.zip");
        Process writer = lockInAnotherProcess(stillWritten);
        try {
            MixedPrecisionSerializer.writeModel(mixed, target.toFile());

            assertFalse(Files.exists(killed1), "unlocked temporary file of the same target removed");
            assertFalse(Files.exists(killed2), "unlocked temporary file of the same target removed");
            assertTrue(Files.exists(otherTarget), "another target's file is not ours to remove");
            assertTrue(Files.exists(notOurName), "a name this library does not write is kept");
            assertTrue(Files.exists(stillWritten), "a file another process holds locked is in use: kept");
            assertTrue(MixedPrecision.isMixedPrecision(MixedPrecisionSerializer.restoreMultiLayerNetwork(target.toFile())));
        } finally {
            writer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        MixedPrecisionSerializer.writeModel(mixed, target.toFile());
        assertFalse(Files.exists(stillWritten), "removed once its writer died");
    }

    private Path temporaryOf(String target) throws IOException {
        return Files.write(folder.resolve("." + target + "." + UUID.randomUUID() + ".tmp"), new byte[1024]);
    }

    /** @return a JVM that holds a lock on {@code file}, as a save in progress in another program does */
    private Process lockInAnotherProcess(Path file) throws IOException {
        Path source = Files.createDirectories(folder.resolve("lock-holder"))
                .resolve("LockHolder" + UUID.randomUUID().toString().replace("-", "") + ".java");
        String name = source.getFileName().toString().replace(".java", "");
        Files.writeString(source, "import java.nio.channels.FileChannel; import java.nio.file.*;\n"
                + "public class " + name + " { public static void main(String[] a) throws Exception {\n"
                + "  FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE); c.lock();\n"
                + "  System.out.println(\"locked\"); System.out.flush(); Thread.sleep(600_000); } }\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, source.toString(), file.toString()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", out.readLine(), "the other process holds the lock");
        return process;
    }
}
