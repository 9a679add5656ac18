package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet of the README and docs/ compiles against the library, so that the documentation cannot
 * drift from the API: each {@code ```java} block becomes the body of a method of its own, in a class that
 * declares the variables the snippets take as given ({@code conf}, {@code net}, {@code trainIterator}, ...) as
 * fields, with the imports a user of the snippet would write.
 */
class DocumentationSnippetsTest {

    private static final Path ROOT = Path.of("..");

    /** Where the compiled snippets go. */
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
                MultiLayerConfiguration conf;
                ComputationGraphConfiguration graphConf;
                MultiLayerNetwork net;
                ComputationGraph graph;
                DataSetIterator trainIterator;
                MultiDataSetIterator multiDataSetIterator;
                MultiDataSet multiBatch;
                Properties properties;
                String folder;
                JavaSparkContext sc;
                TrainingMaster<?, ?> trainingMaster;
                JavaRDD<DataSet> trainData;
            """;

    @TestFactory
    Stream<DynamicTest> everyJavaSnippetOfTheDocsCompiles() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(file -> file.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (Path document : documents) {
            Matcher block = JAVA_BLOCK.matcher(Files.readString(document, StandardCharsets.UTF_8));
            for (int n = 1; block.find(); n++) {
                String snippet = block.group(1);
                String name = document.getFileName() + " snippet " + n;
                tests.add(DynamicTest.dynamicTest(name, () -> assertCompiles(name, snippet)));
            }
        }
        assertTrue(tests.size() >= 8, "the README and docs hold Java snippets: " + tests.size());
        return tests.stream();
    }

    private static void assertCompiles(String name, String snippet) {
        StringBuilder source = new StringBuilder();
        IMPORTS.forEach(type -> source.append("import ").append(type).append(";\n"));
        source.append("class Snippet {\n").append(GIVEN).append("    void run() throws Exception {\n")
                .append(snippet).append("    }\n}\n");
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Snippet.java"), JavaFileObject.Kind.SOURCE) {
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
    }
}
