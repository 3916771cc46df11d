import Foundation

/// A multinomial naive Bayes classifier with Laplace smoothing.
struct NaiveBayes: Sendable {
    private(set) var labels: [String] = []
    private var logPriors: [Double] = []
    private var featureLogLikelihoods: [String: [Double]] = [:]
    private var unseenLogLikelihood: [Double] = []

    /// Trains on `(label, features)` examples; the same examples give the same model.
    init(examples: [(label: String, features: [String])], smoothing: Double = 0.5) {
        labels = Array(Set(examples.map(\.label))).sorted()
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var documentCounts = [Double](repeating: 0, count: labels.count)
        var featureCounts: [String: [Double]] = [:]
        var totals = [Double](repeating: 0, count: labels.count)
        for example in examples {
            let label = index[example.label]!
            documentCounts[label] += 1
            for feature in example.features {
                featureCounts[feature, default: [Double](repeating: 0, count: labels.count)][label] += 1
                totals[label] += 1
            }
        }
        let vocabulary = Double(featureCounts.count)
        let documents = documentCounts.reduce(0, +)
        logPriors = documentCounts.map { log(($0 + 1) / (documents + Double(labels.count))) }
        unseenLogLikelihood = totals.map { log(smoothing / ($0 + smoothing * vocabulary)) }
        for (feature, counts) in featureCounts {
            featureLogLikelihoods[feature] = counts.enumerated().map { label, count in
                log((count + smoothing) / (totals[label] + smoothing * vocabulary))
            }
        }
    }

    /// Log-scores per label (unnormalised log posteriors); features never seen are ignored.
    func logScores(_ features: [String]) -> [Double] {
        var scores = logPriors
        for feature in features {
            guard let likelihoods = featureLogLikelihoods[feature] else { continue }
            for label in labels.indices { scores[label] += likelihoods[label] }
        }
        return scores
    }

    /// How strongly `feature` points at `label` rather than the average label.
    func weight(of feature: String, for label: Int) -> Double? {
        guard let likelihoods = featureLogLikelihoods[feature] else { return nil }
        let mean = likelihoods.reduce(0, +) / Double(likelihoods.count)
        return likelihoods[label] - mean
    }

    /// Whether the model has seen `feature`.
    func knows(_ feature: String) -> Bool { featureLogLikelihoods[feature] != nil }
}
