public import DefterDomain

/// How well a router does on labelled examples it was not trained on.
public struct RoutingEvaluation: Sendable {
    /// Share of examples whose department was right.
    public let accuracy: Double
    /// The mean over departments of F1 (harmonic mean of precision and recall).
    public let macroF1: Double
    /// Share of examples routed without a human (confidence at or above the threshold).
    public let coverage: Double
    /// Accuracy among the auto-routed examples.
    public let autoAccuracy: Double
    /// How many examples were evaluated.
    public let count: Int
    /// Departments in a stable order.
    public let labels: [DepartmentID]
    /// `confusion[actual][predicted]` counts.
    public let confusion: [DepartmentID: [DepartmentID: Int]]

    /// Runs `router` over `corpus`.
    public init(router: Router, corpus: RoutingCorpus) {
        var confusion: [DepartmentID: [DepartmentID: Int]] = [:]
        var correct = 0
        var auto = 0
        var autoCorrect = 0
        for example in corpus.examples {
            let decision = router.classify(example.text)
            confusion[example.department, default: [:]][decision.department, default: 0] += 1
            if decision.department == example.department { correct += 1 }
            if decision.auto {
                auto += 1
                if decision.department == example.department { autoCorrect += 1 }
            }
        }
        let labels = Set(confusion.keys).union(confusion.values.flatMap(\.keys)).sorted()
        var f1Sum = 0.0
        for label in labels {
            let truePositives = Double(confusion[label]?[label] ?? 0)
            let predicted = Double(confusion.values.reduce(0) { $0 + ($1[label] ?? 0) })
            let actual = Double(confusion[label]?.values.reduce(0, +) ?? 0)
            let precision = predicted == 0 ? 0 : truePositives / predicted
            let recall = actual == 0 ? 0 : truePositives / actual
            f1Sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        }
        let n = Double(max(corpus.examples.count, 1))
        self.count = corpus.examples.count
        self.accuracy = Double(correct) / n
        self.macroF1 = labels.isEmpty ? 0 : f1Sum / Double(labels.count)
        self.coverage = Double(auto) / n
        self.autoAccuracy = auto == 0 ? 0 : Double(autoCorrect) / Double(auto)
        self.labels = labels
        self.confusion = confusion
    }
}
