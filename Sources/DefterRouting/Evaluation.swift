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
    /// Per department (in `labels` order): precision, recall and how many examples it had.
    public let perDepartment: [(department: DepartmentID, precision: Double, recall: Double, support: Int)]
    /// Expected calibration error of the confidences over 10 equal-width bins.
    public let calibrationError: Double
    /// The reliability table behind `calibrationError`.
    public let reliability: [ReliabilityBin]

    /// One bin of a reliability table: confidences in `(lower, upper]` (the first bin also takes 0).
    public struct ReliabilityBin: Sendable, Equatable {
        /// The bin's bounds.
        public let lower: Double
        /// The bin's upper bound, included.
        public let upper: Double
        /// How many predictions fell in it.
        public let count: Int
        /// Their mean confidence.
        public let meanConfidence: Double
        /// The share of them that were right.
        public let accuracy: Double
    }

    /// Expected calibration error: the mean over bins of |accuracy − mean confidence|, each bin
    /// weighted by its share of predictions. Bins are `(k/bins, (k+1)/bins]`, the first also
    /// taking a confidence of 0.
    public static func calibrationError(confidences: [Double], correct: [Bool], bins: Int = 10) -> (
        error: Double, bins: [ReliabilityBin]
    ) {
        precondition(confidences.count == correct.count, "one correctness per confidence")
        var counts = [Int](repeating: 0, count: bins)
        var confidenceSums = [Double](repeating: 0, count: bins)
        var rightCounts = [Int](repeating: 0, count: bins)
        for (confidence, right) in zip(confidences, correct) {
            let bin = min(bins - 1, max(0, Int((confidence * Double(bins)).rounded(.up)) - 1))
            counts[bin] += 1
            confidenceSums[bin] += confidence
            if right { rightCounts[bin] += 1 }
        }
        var error = 0.0
        var table: [ReliabilityBin] = []
        for bin in 0..<bins {
            let count = counts[bin]
            let mean = count == 0 ? 0 : confidenceSums[bin] / Double(count)
            let accuracy = count == 0 ? 0 : Double(rightCounts[bin]) / Double(count)
            if count > 0 { error += Double(count) / Double(max(confidences.count, 1)) * abs(accuracy - mean) }
            table.append(
                ReliabilityBin(
                    lower: Double(bin) / Double(bins), upper: Double(bin + 1) / Double(bins), count: count, meanConfidence: mean,
                    accuracy: accuracy))
        }
        return (error, table)
    }

    /// Runs `router` over `corpus`.
    public init(router: Router, corpus: RoutingCorpus) {
        var confusion: [DepartmentID: [DepartmentID: Int]] = [:]
        var correct = 0
        var auto = 0
        var autoCorrect = 0
        var confidences: [Double] = []
        var rights: [Bool] = []
        for example in corpus.examples {
            let decision = router.classify(example.text)
            confidences.append(decision.confidence)
            rights.append(decision.department == example.department)
            confusion[example.department, default: [:]][decision.department, default: 0] += 1
            if decision.department == example.department { correct += 1 }
            if decision.auto {
                auto += 1
                if decision.department == example.department { autoCorrect += 1 }
            }
        }
        let labels = Set(confusion.keys).union(confusion.values.flatMap(\.keys)).sorted()
        var f1Sum = 0.0
        var perDepartment: [(department: DepartmentID, precision: Double, recall: Double, support: Int)] = []
        for label in labels {
            let truePositives = Double(confusion[label]?[label] ?? 0)
            let predicted = Double(confusion.values.reduce(0) { $0 + ($1[label] ?? 0) })
            let actual = Double(confusion[label]?.values.reduce(0, +) ?? 0)
            let precision = predicted == 0 ? 0 : truePositives / predicted
            let recall = actual == 0 ? 0 : truePositives / actual
            f1Sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            perDepartment.append((label, precision, recall, Int(actual)))
        }
        (self.calibrationError, self.reliability) = Self.calibrationError(confidences: confidences, correct: rights)
        self.perDepartment = perDepartment
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
