/**
 * Arbiter hyperparameter searches with precision (FP32 or mixed) and loss scaling as hyperparameters.
 *
 * <p>Where to start: wrap your {@code MultiLayerSpace} in a {@link org.dl4j.mixedprecision.arbiter.MultiLayerPrecisionSpace}
 * (or a {@code ComputationGraphSpace} in a {@link org.dl4j.mixedprecision.arbiter.ComputationGraphPrecisionSpace})
 * with a {@link org.dl4j.mixedprecision.arbiter.PrecisionParameterSpace}, run it with a
 * {@link org.dl4j.mixedprecision.arbiter.MixedPrecisionTaskCreator} in place of Arbiter's task creators, and score
 * with a {@link org.dl4j.mixedprecision.arbiter.FiniteScoreFunction} so that a diverged candidate ranks last. The
 * task creator's {@code reports()} say what every candidate did ({@link org.dl4j.mixedprecision.arbiter.CandidateReport}).
 * Arbiter is an optional dependency: add {@code arbiter-deeplearning4j} to use this package.
 */
package org.dl4j.mixedprecision.arbiter;
