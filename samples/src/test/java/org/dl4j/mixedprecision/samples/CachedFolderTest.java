package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cached folder is never seen half written, and no partial folder outlives the run that wrote it. */
class CachedFolderTest {

    @TempDir
    Path cache;

    @Test
    void aCompleteFolderIsWrittenOnceAndReused() throws IOException {
        Path folder = cache.resolve("data");
        assertEquals(folder, CachedFolder.written(folder, partial -> write(partial.resolve("a.txt"), "first")));
        assertEquals(folder, CachedFolder.written(folder, partial -> write(partial.resolve("a.txt"), "second")));
        assertEquals("first", Files.readString(folder.resolve("a.txt")));
        assertEquals(List.of("data"), names());
        assertFalse(Files.exists(folder.resolve(CachedFolder.WRITING)), "no lock file in the finished folder");
    }

    @Test
    void aFailedRunLeavesNoPartialFolder() throws IOException {
        Path folder = cache.resolve("data");
        IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
                () -> CachedFolder.written(folder, partial -> {
                    write(partial.resolve("a.txt"), "half");
                    throw new IllegalArgumentException("bad setting");
                }));
        assertEquals("bad setting", failure.getMessage());
        assertEquals(List.of(), names());
    }

    @Test
    void aKilledRunsPartialFolderIsRemovedByTheNextRunAndOneBeingWrittenIsKept() throws IOException {
        Path abandoned = cache.resolve("data" + CachedFolder.PARTIAL + "abandoned");
        write(abandoned.resolve("a.txt"), "half");
        write(abandoned.resolve(CachedFolder.WRITING), ""); // its writer's lock went with its process
        Path noLockFile = cache.resolve("other" + CachedFolder.PARTIAL + "older");
        write(noLockFile.resolve("a.txt"), "half");
        Path busy = cache.resolve("data" + CachedFolder.PARTIAL + "busy");
        write(busy.resolve(CachedFolder.WRITING), "");
        try (FileChannel channel = FileChannel.open(busy.resolve(CachedFolder.WRITING), StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            CachedFolder.written(cache.resolve("data"), partial -> write(partial.resolve("a.txt"), "complete"));
            assertEquals(List.of("data", busy.getFileName().toString()), names());
        }
        CachedFolder.written(cache.resolve("more"), partial -> write(partial.resolve("a.txt"), "complete"));
        assertEquals(List.of("data", "more"), names(), "once its writer is gone, the next run removes it");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> entries = Files.list(cache)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theWrittenFolderIsComplete() {
        Path folder = CachedFolder.written(cache.resolve("data"), partial -> {
            write(partial.resolve("train/a.txt"), "1");
            write(partial.resolve("test/b.txt"), "2");
        });
        assertTrue(Files.isRegularFile(folder.resolve("train/a.txt")) && Files.isRegularFile(folder.resolve("test/b.txt")));
    }
}
