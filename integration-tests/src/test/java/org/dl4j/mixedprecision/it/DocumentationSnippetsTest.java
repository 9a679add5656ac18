package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.dataset.adapter.MultiDataSetIteratorAdapter;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.arbiter.MnistDataSource;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Every Java snippet of the README and docs/ compiles against the library and runs, so that the documentation
 * cannot drift from the API or from what the API accepts: each {@code ```java} block becomes the method
 * {@code run()} of a class of its own, which declares the variables the snippets take as given ({@code conf},
 * {@code net}, {@code trainIterator}, ...) as fields, with the imports a user of the snippet would write. The test
 * gives each snippet fresh, small but real values for the variables it uses (a two-layer network whose hidden
 * layer is named "embedding", the same as a graph, 32 random examples in minibatches of 8, a local Spark context
 * with two workers, 200 MNIST digits for the Arbiter data source) and runs it to its end. {@code net} and
 * {@code graph} are the user's FP32 networks in a snippet that makes them mixed precision ({@code enable},
 * {@code enableChecked}), and the networks {@code enable} returned in the others (saving, ...), as the docs read. A file a snippet names
 * by a relative path ({@code new File("model.zip")}) is created in the test's temporary folder.
 */
class DocumentationSnippetsTest {

    private static final Path ROOT = Path.of("..");
    private static final int FEATURES = 4;
    private static final int CLASSES = 3;

    /** Where the compiled snippets go, and the files they write. */
    @TempDir
    static Path output;
    private static final Pattern JAVA_BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```", Pattern.DOTALL);
    private static final List<String> IMPORTS = List.of(
            "java.io.File", "java.util.Properties", "org.dl4j.mixedprecision.*",
            "org.dl4j.mixedprecision.arbiter.*", "org.dl4j.mixedprecision.spark.MixedPrecisionSpark",
            "org.dl4j.mixedprecision.samples.arbiter.MnistDataSource",
            "org.deeplearning4j.nn.multilayer.MultiLayerNetwork", "org.deeplearning4j.nn.graph.ComputationGraph",
            "org.deeplearning4j.nn.conf.MultiLayerConfiguration", "org.deeplearning4j.nn.conf.ComputationGraphConfiguration",
            "org.deeplearning4j.nn.conf.inputs.InputType", "org.deeplearning4j.optimize.listeners.ScoreIterationListener",
            "org.nd4j.linalg.api.buffer.DataType", "org.nd4j.linalg.activations.Activation",
            "org.nd4j.linalg.lossfunctions.LossFunctions", "org.nd4j.linalg.dataset.DataSet",
            "org.nd4j.linalg.dataset.api.MultiDataSet", "org.nd4j.linalg.dataset.api.iterator.DataSetIterator",
            "org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator", "org.nd4j.evaluation.classification.Evaluation",
            "org.deeplearning4j.arbiter.MultiLayerSpace", "org.deeplearning4j.arbiter.conf.updater.AdamSpace",
            "org.deeplearning4j.arbiter.layers.DenseLayerSpace", "org.deeplearning4j.arbiter.layers.OutputLayerSpace",
            "org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace",
            "org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution",
            "org.deeplearning4j.arbiter.optimize.parameter.FixedValue",
            "org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace",
            "org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace",
            "org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration",
            "org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator",
            "org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition",
            "org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner",
            "org.deeplearning4j.arbiter.saver.local.FileModelSaver",
            "org.deeplearning4j.arbiter.scoring.impl.EvaluationScoreFunction",
            "org.apache.spark.api.java.JavaSparkContext", "org.apache.spark.api.java.JavaRDD",
            "org.deeplearning4j.spark.api.TrainingMaster", "org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer");
    /** The variables the snippets take as given, as a user's program would have them. */
    private static final String GIVEN = """
                public MultiLayerConfiguration conf;
                public ComputationGraphConfiguration graphConf;
                public MultiLayerNetwork net;
                public ComputationGraph graph;
                public DataSetIterator trainIterator;
                public MultiDataSetIterator multiDataSetIterator;
                public MultiDataSet multiBatch;
                public Properties properties;
                public String folder;
                public JavaSparkContext sc;
                public TrainingMaster<?, ?> trainingMaster;
                public JavaRDD<DataSet> trainData;
            """;

    @TestFactory
    Stream<DynamicTest> everyJavaSnippetOfTheDocsCompilesAndRuns() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(file -> file.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (Path document : documents) {
            Matcher block = JAVA_BLOCK.matcher(Files.readString(document, StandardCharsets.UTF_8));
            for (int n = 1; block.find(); n++) {
                String snippet = block.group(1).replace("new File(\"", "new File(folder, \""); // relative files in output
                String name = document.getFileName() + " snippet " + n;
                String className = "Snippet" + (tests.size() + 1);
                tests.add(DynamicTest.dynamicTest(name, () -> run(compile(name, className, snippet), snippet)));
            }
        }
        assertTrue(tests.size() >= 8, "the README and docs hold Java snippets: " + tests.size());
        return tests.stream();
    }

    /** @return the compiled class of the snippet */
    private static Class<?> compile(String name, String className, String snippet) throws Exception {
        StringBuilder source = new StringBuilder();
        IMPORTS.forEach(type -> source.append("import ").append(type).append(";\n"));
        source.append("public class ").append(className).append(" {\n").append(GIVEN)
                .append("    public void run() throws Exception {\n")
                .append(snippet).append("    }\n}\n");
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        boolean compiled = compiler.getTask(errors, null, null,
                List.of("-classpath", classpath, "-d", output.toString(), "-proc:none", "-Xlint:none"), null,
                List.of(file)).call();
        assertEquals("", compiled ? "" : errors.toString(), name + " does not compile:\n" + snippet);
        URLClassLoader loader = new URLClassLoader(new URL[] {output.toUri().toURL()},
                DocumentationSnippetsTest.class.getClassLoader());
        return loader.loadClass(className);
    }

    /** Gives the snippet the variables it uses and runs it; anything it throws fails the test. */
    private static void run(Class<?> compiled, String snippet) throws Exception {
        Object instance = compiled.getConstructor().newInstance();
        try (Given given = new Given(snippet.contains("MixedPrecision.enable"))) {
            for (Field field : compiled.getFields()) {
                if (Pattern.compile("\\b" + field.getName() + "\\b").matcher(snippet).find()) {
                    field.set(instance, given.value(field.getName()));
                }
            }
            try {
                compiled.getMethod("run").invoke(instance);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }

    /** The values of the given variables, made for each one a snippet uses; closing it stops Spark. */
    private static final class Given implements AutoCloseable {

        private final boolean fp32Networks;
        private JavaSparkContext spark;

        /** @param fp32Networks true for a snippet that makes {@code net} and {@code graph} mixed precision itself */
        Given(boolean fp32Networks) {
            this.fp32Networks = fp32Networks;
        }

        Object value(String name) {
            return switch (name) {
                case "conf" -> network();
                case "graphConf" -> graph();
                case "net" -> fp32Networks ? init(new MultiLayerNetwork(network()))
                        : MixedPrecision.enable(init(new MultiLayerNetwork(network())));
                case "graph" -> fp32Networks ? init(new ComputationGraph(graph()))
                        : MixedPrecision.enable(init(new ComputationGraph(graph())));
                case "trainIterator" -> new ListDataSetIterator<>(examples().asList(), 8);
                case "multiDataSetIterator" -> new MultiDataSetIteratorAdapter(new ListDataSetIterator<>(examples().asList(), 8));
                case "multiBatch" -> new org.nd4j.linalg.dataset.MultiDataSet(examples().getFeatures(), examples().getLabels());
                case "properties" -> MnistDataSource.properties(200, 100, 50);
                case "folder" -> output.toString();
                case "sc" -> spark();
                case "trainingMaster" -> new ParameterAveragingTrainingMaster.Builder(8).batchSizePerWorker(8)
                        .averagingFrequency(2).workerPrefetchNumBatches(0).build();
                case "trainData" -> spark().parallelize(examples().asList());
                default -> throw new IllegalArgumentException("No value for the snippets' variable " + name);
            };
        }

        private JavaSparkContext spark() {
            if (spark == null) {
                spark = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("DocumentationSnippetsTest")
                        .set("spark.ui.enabled", "false"));
            }
            return spark;
        }

        private static MultiLayerConfiguration network() {
            return new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(1e-2)).list()
                    .layer(new DenseLayer.Builder().name("embedding").nIn(FEATURES).nOut(8).activation(Activation.TANH).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(CLASSES)
                            .activation(Activation.SOFTMAX).build())
                    .build();
        }

        private static ComputationGraphConfiguration graph() {
            return new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(1e-2)).graphBuilder().addInputs("in")
                    .addLayer("embedding", new DenseLayer.Builder().nIn(FEATURES).nOut(8).activation(Activation.TANH).build(), "in")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(CLASSES)
                            .activation(Activation.SOFTMAX).build(), "embedding")
                    .setOutputs("out").build();
        }

        private static <T extends org.deeplearning4j.nn.api.Model> T init(T network) {
            network.init();
            return network;
        }

        /** @return 32 random examples of {@value #FEATURES} features and one of {@value #CLASSES} classes */
        private static DataSet examples() {
            Random random = new Random(1);
            INDArray features = Nd4j.zeros(DataType.FLOAT, 32, FEATURES);
            INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, CLASSES);
            for (int i = 0; i < 32; i++) {
                for (int j = 0; j < FEATURES; j++) {
                    features.putScalar(i, j, random.nextGaussian());
                }
                labels.putScalar(i, random.nextInt(CLASSES), 1);
            }
            return new DataSet(features, labels);
        }

        @Override
        public void close() {
            if (spark != null) {
                spark.stop();
            }
        }
    }
}
