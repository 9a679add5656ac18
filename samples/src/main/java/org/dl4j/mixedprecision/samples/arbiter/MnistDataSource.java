package org.dl4j.mixedprecision.samples.arbiter;

import java.util.Properties;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.dl4j.mixedprecision.samples.MnistData;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Real MNIST for Arbiter's candidates, as its {@code DataSource}: the first {@code train} training digits
 * and the first {@code test} test digits (properties {@value #TRAIN}, {@value #TEST}, {@value #BATCH}),
 * found or obtained by {@link MnistFiles}.
 */
public class MnistDataSource implements DataSource {

    private static final long serialVersionUID = 1L;
    /** Property: training digits. */
    public static final String TRAIN = "train";
    /** Property: test digits. */
    public static final String TEST = "test";
    /** Property: minibatch size. */
    public static final String BATCH = "batch";

    private int train = 3000;
    private int test = 1000;
    private int batch = 64;

    /** @return the properties for {@code train} training and {@code test} test digits in minibatches of {@code batch} */
    public static Properties properties(int train, int test, int batch) {
        Properties properties = new Properties();
        properties.setProperty(TRAIN, Integer.toString(train));
        properties.setProperty(TEST, Integer.toString(test));
        properties.setProperty(BATCH, Integer.toString(batch));
        return properties;
    }

    @Override
    public void configure(Properties properties) {
        train = Integer.parseInt(properties.getProperty(TRAIN, Integer.toString(train)));
        test = Integer.parseInt(properties.getProperty(TEST, Integer.toString(test)));
        batch = Integer.parseInt(properties.getProperty(BATCH, Integer.toString(batch)));
    }

    @Override
    public DataSetIterator trainData() {
        return new ExistingDataSetIterator(MnistData.train(MnistFiles.findOrObtain(), train).batchBy(batch));
    }

    @Override
    public DataSetIterator testData() {
        return new ExistingDataSetIterator(MnistData.test(MnistFiles.findOrObtain(), test).batchBy(batch));
    }

    @Override
    public Class<?> getDataType() {
        return DataSetIterator.class;
    }
}
