package org.dl4j.mixedprecision;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.FilterOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file handling of saved models: writes that never damage the file they replace nor leave debris, and
 * a full integrity check before anything is restored.
 */
final class ModelFiles {

    /** Writes the complete new content of a file into the stream it is given (it may close it). */
    @FunctionalInterface
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** The entries DL4J's {@code ModelSerializer} writes, and the state entry of version 0.1 of this library. */
    private static final List<String> KNOWN_ENTRIES = List.of(ModelSerializer.CONFIGURATION_JSON,
            ModelSerializer.COEFFICIENTS_BIN, ModelSerializer.UPDATER_BIN, ModelSerializer.NORMALIZER_BIN,
            ModelSerializer.NO_PARAMS_MARKER, ModelSerializer.PREPROCESSOR_BIN, SavedState.ENTRY);
    /** The folder of the objects {@code ModelSerializer.addObjectToFile} adds. */
    private static final String OBJECTS_FOLDER = "objects/";

    /** The temporary files this JVM is writing now. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();
    private static final Logger log = LoggerFactory.getLogger(ModelFiles.class);

    private ModelFiles() {
    }

    /**
     * Writes a file through a temporary file in the same folder that is moved into place only once it is
     * complete and on disk: a write that fails part-way (an exception, a full disk, a killed process)
     * leaves the previous file as it was. The temporary file is locked while it is written; the temporary
     * files of earlier writes of the same target that were killed before they finished (unlocked, named as
     * this method names them) are removed first.
     *
     * @throws IllegalArgumentException if {@code target} is null
     * @throws IOException              naming the target: its folder is missing or not writable, or the write failed
     */
    static void replace(Path target, Writer writer) throws IOException {
        if (target == null) {
            throw new IllegalArgumentException("file must not be null: pass the file to write the model to");
        }
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (!Files.isDirectory(folder)) {
            throw new IOException("Cannot write " + target + ": its folder " + folder + " does not exist; create it first");
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException("Cannot write " + target + ": it is a folder; pass a file name such as model.zip");
        }
        removeUnfinishedWrites(absolute);
        Path temporary = folder.resolve("." + absolute.getFileName() + "." + UUID.randomUUID() + ".tmp");
        FileChannel channel;
        try {
            channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new IOException("Cannot write " + target + ": its folder " + folder + " is not writable", e);
        }
        WRITING.add(temporary);
        try (channel; FileLock ignored = channel.lock()) {
            writer.write(new FilterOutputStream(Channels.newOutputStream(channel)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush(); // the channel stays open, locked, until the file is in place
                }
            });
            channel.force(true);
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            WRITING.remove(temporary);
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Removes the temporary files of writes of {@code target} that were killed before they finished: named
     * as {@link #replace} names them, not being written by this JVM, and not locked by another process.
     */
    private static void removeUnfinishedWrites(Path target) {
        Pattern ours = Pattern.compile("\\." + Pattern.quote(target.getFileName().toString())
                + "\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.tmp");
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(target.getParent(),
                path -> ours.matcher(path.getFileName().toString()).matches() && !WRITING.contains(path))) {
            for (Path candidate : candidates) {
                try (FileChannel channel = FileChannel.open(candidate, StandardOpenOption.WRITE);
                     FileLock lock = channel.tryLock()) {
                    if (lock != null) {
                        Files.deleteIfExists(candidate);
                        log.info("Removed {}: the temporary file of a save of {} that did not finish", candidate, target);
                    }
                } catch (IOException | OverlappingFileLockException e) {
                    log.debug("Left {} in place: {}", candidate, e.toString());
                }
            }
        } catch (IOException e) {
            log.debug("Could not look for unfinished writes of {}: {}", target, e.toString());
        }
    }

    /** The entries of a verified model file. */
    record Entries(List<String> names, Map<String, byte[]> contents) {

        /** @return the content of a wanted entry, or null if the file has no such entry */
        byte[] get(String name) {
            return contents.get(name);
        }

        boolean contains(String name) {
            return names.contains(name);
        }
    }

    /**
     * Reads a whole DL4J model file, checking every entry against its CRC and the zip's local headers (which
     * DL4J reads) against its central directory (which the check reads).
     *
     * @param wanted names of the (small) entries whose content to return
     * @return the names of all entries and the content of each wanted entry present in the file
     * @throws IOException naming the file and what is wrong with it: not a zip file (truncated or
     *                     corrupted), a damaged entry, local headers and central directory that disagree, an
     *                     entry neither DL4J nor this library writes, or no DL4J configuration and parameters
     */
    static Entries readVerified(Path file, String... wanted) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Cannot restore " + file + ": there is no such file");
        }
        Set<String> wantedNames = Set.of(wanted);
        List<String> centralNames = new ArrayList<>();
        Map<String, byte[]> contents = new HashMap<>();
        byte[] buffer = new byte[1 << 16];
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                centralNames.add(entry.getName());
                CRC32 crc = new CRC32();
                ByteArrayOutputStream content = new ByteArrayOutputStream();
                try (InputStream in = zip.getInputStream(entry)) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        crc.update(buffer, 0, n);
                        if (wantedNames.contains(entry.getName())) {
                            content.write(buffer, 0, n);
                        }
                    }
                } catch (IOException e) {
                    throw damaged(file, entry, e.getMessage(), e);
                }
                if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) {
                    throw damaged(file, entry, "checksum mismatch", null);
                }
                if (wantedNames.contains(entry.getName())) {
                    contents.put(entry.getName(), content.toByteArray());
                }
            }
        } catch (ZipException e) {
            throw new IOException("Cannot restore " + file + ": it is not a complete model file, it was truncated or"
                    + " corrupted (" + e.getMessage() + ")", e);
        }
        List<String> localNames = new ArrayList<>();
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) { // as DL4J reads the file
                localNames.add(entry.getName());
            }
        } catch (IOException e) {
            throw new IOException("Cannot restore " + file + ": its zip local headers are damaged (" + e.getMessage()
                    + "); the file was corrupted after it was written", e);
        }
        if (!localNames.equals(centralNames)) {
            throw new IOException("Cannot restore " + file + ": its entry names differ between the zip's local headers "
                    + localNames + " and its central directory " + centralNames + "; the file was corrupted after it"
                    + " was written");
        }
        for (String name : localNames) {
            if (!KNOWN_ENTRIES.contains(name) && !name.startsWith(OBJECTS_FOLDER)) {
                throw new IOException("Cannot restore " + file + ": its entry \"" + name + "\" is not an entry DL4J or"
                        + " dl4j-mixedprecision writes (" + String.join(", ", KNOWN_ENTRIES) + ", " + OBJECTS_FOLDER
                        + "...); the file was corrupted or is not a DL4J model file");
            }
        }
        if (!localNames.contains(ModelSerializer.CONFIGURATION_JSON)
                || !localNames.contains(ModelSerializer.COEFFICIENTS_BIN)) {
            throw new IOException("Cannot restore " + file + ": it is a zip file but not a DL4J model file (no "
                    + ModelSerializer.CONFIGURATION_JSON + " and " + ModelSerializer.COEFFICIENTS_BIN + " in it)");
        }
        return new Entries(List.copyOf(localNames), contents);
    }

    private static IOException damaged(Path file, ZipEntry entry, String problem, Exception cause) {
        return new IOException("Cannot restore " + file + ": its entry " + entry.getName() + " is damaged (" + problem
                + "); the file was corrupted after it was written", cause);
    }
}
