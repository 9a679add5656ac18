package org.dl4j.mixedprecision.arbiter;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;

/**
 * Wraps any Arbiter {@code ScoreFunction} so that a NaN or infinite score counts as the worst possible
 * score (+Infinity when minimizing, -Infinity when maximizing). Without it, Arbiter 1.0.0-beta7 keeps a
 * NaN score as the best one for the rest of the search once the first candidate diverges, since no
 * comparison with NaN is ever true.
 */
public class FiniteScoreFunction implements ScoreFunction {

    private static final long serialVersionUID = 1L;

    /** The score function this one wraps. */
    private ScoreFunction scoreFunction;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private FiniteScoreFunction() {
    }

    /** @param scoreFunction the score function to wrap */
    public FiniteScoreFunction(ScoreFunction scoreFunction) {
        this.scoreFunction = Objects.requireNonNull(scoreFunction, "scoreFunction");
    }

    @Override
    public double score(Object model, DataProvider dataProvider, Map<String, Object> dataParameters) {
        return finite(scoreFunction.score(model, dataProvider, dataParameters));
    }

    @Override
    public double score(Object model, Class<? extends DataSource> dataSource, Properties dataSourceProperties) {
        return finite(scoreFunction.score(model, dataSource, dataSourceProperties));
    }

    /**
     * @param score a score computed by the wrapped score function
     * @return the score, or the worst possible score in place of NaN and infinities
     */
    public double finite(double score) {
        if (Double.isFinite(score)) {
            return score;
        }
        return minimize() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    @Override
    public boolean minimize() {
        return scoreFunction.minimize();
    }

    @Override
    public List<Class<?>> getSupportedModelTypes() {
        return scoreFunction.getSupportedModelTypes();
    }

    @Override
    public List<Class<?>> getSupportedDataTypes() {
        return scoreFunction.getSupportedDataTypes();
    }

    @Override
    public String toString() {
        return "FiniteScoreFunction(" + scoreFunction + ")";
    }
}
