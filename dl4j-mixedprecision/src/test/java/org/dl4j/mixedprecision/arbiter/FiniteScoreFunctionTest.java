package org.dl4j.mixedprecision.arbiter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.junit.jupiter.api.Test;

class FiniteScoreFunctionTest {

    /** A score function whose "score" is the model object itself, a Double. */
    private record Echo(boolean minimize) implements ScoreFunction {
        @Override
        public double score(Object model, DataProvider dataProvider, Map<String, Object> dataParameters) {
            return (Double) model;
        }

        @Override
        public double score(Object model, Class<? extends DataSource> dataSource, Properties properties) {
            return (Double) model;
        }

        @Override
        public List<Class<?>> getSupportedModelTypes() {
            return List.of(Double.class);
        }

        @Override
        public List<Class<?>> getSupportedDataTypes() {
            return List.of(Object.class);
        }
    }

    @Test
    void nonFiniteScoresAreTheWorstPossibleAndFiniteOnesPassThrough() {
        FiniteScoreFunction loss = new FiniteScoreFunction(new Echo(true));
        FiniteScoreFunction accuracy = new FiniteScoreFunction(new Echo(false));
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertEquals(Double.POSITIVE_INFINITY, loss.score(bad, (DataProvider) null, null), "loss " + bad);
            assertEquals(Double.NEGATIVE_INFINITY, accuracy.score(bad, (Class<DataSource>) null, null), "accuracy " + bad);
        }
        assertEquals(0.25, loss.score(0.25, (DataProvider) null, null));
        assertEquals(0.75, accuracy.score(0.75, (Class<DataSource>) null, null));
        assertEquals(true, loss.minimize());
        assertEquals(List.of(Double.class), loss.getSupportedModelTypes());
    }
}
