package org.dl4j.mixedprecision.samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;

/**
 * A folder of a cache that is written once and then reused, never seen half written: it is written under a
 * temporary name ({@code NAME.partial-UUID}, holding a lock file while it is written) and renamed when
 * complete. A run that fails removes its partial folder; one left by a killed run (its lock released with its
 * process) is removed by the next run into the same cache.
 */
public final class CachedFolder {

    static final String PARTIAL = ".partial-";
    static final String WRITING = ".writing";

    private CachedFolder() {
    }

    /**
     * @param folder the finished folder, in its cache
     * @param writer writes the folder's content into the folder it is given
     * @return {@code folder}, written now by {@code writer} unless it was there already
     * @throws RuntimeException what the writer threw, after the partial folder was removed
     */
    public static Path written(Path folder, Consumer<Path> writer) {
        if (Files.isDirectory(folder)) {
            return folder;
        }
        Path cache = folder.getParent();
        removeAbandonedPartials(cache);
        Path partial = cache.resolve(folder.getFileName() + PARTIAL + UUID.randomUUID());
        try {
            Files.createDirectories(partial);
            try (FileChannel lockFile = FileChannel.open(partial.resolve(WRITING), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = lockFile.lock()) {
                writer.accept(partial);
            }
            Files.delete(partial.resolve(WRITING));
            Files.move(partial, folder, StandardCopyOption.ATOMIC_MOVE);
            return folder;
        } catch (IOException e) {
            FileUtils.deleteQuietly(partial.toFile());
            throw new UncheckedIOException("Cannot write " + partial + " and rename it to " + folder, e);
        } catch (RuntimeException | Error e) {
            FileUtils.deleteQuietly(partial.toFile());
            throw e;
        }
    }

    /** Removes the partial folders in {@code cache} that no run is writing (left by a killed run). */
    static void removeAbandonedPartials(Path cache) {
        if (!Files.isDirectory(cache)) {
            return;
        }
        try (Stream<Path> entries = Files.list(cache)) {
            for (Path partial : entries.filter(p -> p.getFileName().toString().contains(PARTIAL)).toList()) {
                if (!beingWritten(partial)) {
                    FileUtils.deleteQuietly(partial.toFile());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the cache " + cache, e);
        }
    }

    private static boolean beingWritten(Path partial) {
        Path writing = partial.resolve(WRITING);
        if (!Files.exists(writing)) {
            return false;
        }
        try (FileChannel lockFile = FileChannel.open(writing, StandardOpenOption.WRITE);
             FileLock lock = lockFile.tryLock()) {
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true; // this JVM is writing it
        } catch (IOException e) {
            return true; // cannot tell: leave it
        }
    }
}
