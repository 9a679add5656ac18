package org.dl4j.mixedprecision.samples.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;

/** What the benchmark ran on: CPU model, cores, Java, ND4J backend and its build information. */
final class MachineInfo {

    private MachineInfo() {
    }

    /** @return the machine's description, in a stable key order */
    static Map<String, Object> describe() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpu", cpuModel());
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("ompNumThreads", System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        machine.put("backend", Nd4j.getBackend().getClass().getSimpleName());
        machine.put("nd4jVersion", jarOf(Nd4j.class) + ", " + jarOf(Nd4j.getBackend().getClass()));
        Properties environment = Nd4j.getExecutioner().getEnvironmentInformation();
        Map<String, Object> build = new LinkedHashMap<>();
        environment.stringPropertyNames().stream().sorted().forEach(key -> build.put(key, environment.getProperty(key)));
        machine.put("nd4jEnvironment", build);
        return machine;
    }

    /** @return the name of the jar a class was loaded from (it carries the artifact's version) */
    private static String jarOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return type.getPackage().getName();
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
