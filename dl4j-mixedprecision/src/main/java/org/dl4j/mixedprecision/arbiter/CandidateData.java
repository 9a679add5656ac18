package org.dl4j.mixedprecision.arbiter;

import java.util.Properties;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;

/**
 * A candidate's data, from either of Arbiter's two ways of giving it: a {@code DataSource} class with its
 * properties, or a (deprecated) {@code DataProvider} with the candidate's data parameters.
 */
interface CandidateData {

    /** @return the training data: a DataSetIterator, MultiDataSetIterator or anything Arbiter's ScoreUtil reads */
    Object trainData();

    /** @return the candidate's score on this data */
    double score(ScoreFunction scoreFunction, Object network);

    static CandidateData of(Class<? extends DataSource> dataSource, Properties properties) {
        return new CandidateData() {
            @Override
            public Object trainData() {
                return instance().trainData();
            }

            @Override
            public double score(ScoreFunction scoreFunction, Object network) {
                return scoreFunction.score(network, dataSource, properties);
            }

            private DataSource instance() {
                DataSource source;
                try {
                    source = dataSource.getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalArgumentException("Cannot create the data source " + dataSource.getName()
                            + ": it needs a public constructor without arguments", e);
                }
                if (properties != null) {
                    source.configure(properties);
                }
                return source;
            }
        };
    }

    static CandidateData of(DataProvider dataProvider, Candidate<?> candidate) {
        return new CandidateData() {
            @Override
            public Object trainData() {
                return dataProvider.trainData(candidate.getDataParameters());
            }

            @Override
            public double score(ScoreFunction scoreFunction, Object network) {
                return scoreFunction.score(network, dataProvider, candidate.getDataParameters());
            }
        };
    }
}
