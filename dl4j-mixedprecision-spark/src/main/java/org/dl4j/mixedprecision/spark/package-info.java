/**
 * Mixed-precision training on dl4j-spark. Start with {@link org.dl4j.mixedprecision.spark.MixedPrecisionSpark}:
 * it brings each averaging round's loss scale and skip counts back from the workers to the driver's network.
 */
package org.dl4j.mixedprecision.spark;
