package org.ducisc.api;

/**
 * Per-case agreement of a predicted label map with a ground truth, with the reference's (medpy's)
 * definitions: Dice and Jaccard of the foreground, and the 95th percentile (HD95) and mean (ASD) of
 * the surface distances, in the units of the image's spacing. An empty prediction scores 0 on all
 * four; an empty ground truth with a non-empty prediction gives NaN distances.
 *
 * @param dice    2|P∩T| / (|P| + |T|)
 * @param jaccard |P∩T| / |P∪T|
 * @param hd95    95th percentile of the symmetric surface distances
 * @param asd     mean distance from the prediction's surface to the ground truth's
 */
public record Metrics(double dice, double jaccard, double hd95, double asd) {
}
