package org.dl4j.mixedprecision;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.deeplearning4j.util.ModelSerializer;

/**
 * The file handling of saved models: writes that never damage the file they replace, an extra entry in
 * DL4J's model zip, and a full integrity check before anything is restored.
 */
final class ModelFiles {

    /** Writes the complete new content of a file into the temporary path it is given. */
    @FunctionalInterface
    interface Writer {
        void write(Path temporary) throws IOException;
    }

    private ModelFiles() {
    }

    /**
     * Writes a file through a temporary file in the same folder that is moved into place only once it is
     * complete and on disk: a write that fails part-way (an exception, a full disk, a killed process)
     * leaves the previous file as it was.
     */
    static void replace(Path target, Writer writer) throws IOException {
        Path folder = target.toAbsolutePath().getParent();
        // createFile, not createTempFile: the file keeps the permissions a plain write would give it (umask).
        Path temporary = Files.createFile(folder.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp"));
        try {
            writer.write(temporary);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Adds (or replaces) one entry of a zip file. */
    static void putEntry(Path zip, String name, byte[] content) throws IOException {
        try (FileSystem entries = FileSystems.newFileSystem(zip)) {
            Files.write(entries.getPath(name), content);
        }
    }

    /**
     * Reads a whole DL4J model file, checking every entry against its CRC.
     *
     * @param wanted names of the (small) entries whose content to return
     * @return the content of each wanted entry present in the file, by name
     * @throws IOException naming the file and what is wrong with it: not a zip file (truncated or
     *                     corrupted), a damaged entry, or no DL4J configuration and parameters in it
     */
    static Map<String, byte[]> readVerified(Path file, String... wanted) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Cannot restore " + file + ": there is no such file");
        }
        Set<String> wantedNames = Set.of(wanted);
        Map<String, byte[]> contents = new HashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                CRC32 crc = new CRC32();
                ByteArrayOutputStream content = new ByteArrayOutputStream();
                try (InputStream in = zip.getInputStream(entry)) {
                    byte[] buffer = new byte[1 << 16];
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
            if (zip.getEntry(ModelSerializer.CONFIGURATION_JSON) == null
                    || zip.getEntry(ModelSerializer.COEFFICIENTS_BIN) == null) {
                throw new IOException("Cannot restore " + file + ": it is a zip file but not a DL4J model file (no "
                        + ModelSerializer.CONFIGURATION_JSON + " and " + ModelSerializer.COEFFICIENTS_BIN + " in it)");
            }
        } catch (ZipException e) {
            throw new IOException("Cannot restore " + file + ": it is not a complete model file, it was truncated or"
                    + " corrupted (" + e.getMessage() + ")", e);
        }
        return contents;
    }

    private static IOException damaged(Path file, ZipEntry entry, String problem, Exception cause) {
        return new IOException("Cannot restore " + file + ": its entry " + entry.getName() + " is damaged (" + problem
                + "); the file was corrupted after it was written", cause);
    }
}
