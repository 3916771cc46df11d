public import DefterDomain
import Foundation

/// How a linear model is trained. The defaults are the settings measured best on the held-out
/// fifth (docs/tickets.md, "Routing"); every run with the same settings and corpus gives the
/// same bytes: a fixed feature order, a fixed number of passes, and a seeded shuffle.
public struct LinearTrainingSettings: Sendable, Equatable {
    /// Buckets the features are hashed into.
    public var bucketCount = 1 << 16
    /// Passes of stochastic gradient descent over the examples.
    public var epochs = 20
    /// The initial step; it decays as 1 / (1 + l2 · rate · step).
    public var learningRate = 0.5
    /// L2 regularisation.
    public var l2 = 1e-5
    /// Seeds the shuffle of each pass.
    public var seed: UInt64 = 153
    /// Weight of the regression's logits against naive Bayes' log-posterior (measured: 2).
    public var regressionWeight = 2.0
    /// Log-odds one lexicon hit adds to its category.
    public var lexiconWeight = 2.5
    /// Naive Bayes' additive smoothing.
    public var naiveBayesSmoothing = 0.5
    /// Folds of the training data whose out-of-fold predictions fit the temperature and threshold.
    public var calibrationFolds = 5
    /// The accuracy among auto-routed requests the threshold must reach out of fold; above 0.95
    /// to keep a margin for requests unlike the corpus.
    public var targetAutoAccuracy = 0.98
    /// The threshold never goes below this. Out-of-fold figures come from the corpus's own style;
    /// on hand-written requests from another source (trained on the 2026 draft, tested on the
    /// 845 older requests) 0.85 was where accuracy among auto-routed stayed above 95% (95.8% at
    /// 79% coverage), while 0.76 gave about 94%.
    public var minimumThreshold = 0.85

    /// The measured defaults.
    public init() {}
}

extension LinearModel {
    /// Trains on `corpus` (labels are categories; an example without one counts for its
    /// department's first open category), then fits the temperature and the threshold on
    /// out-of-fold predictions of the training data, so the held-out data is never looked at.
    public static func train(
        corpus: RoutingCorpus, catalog: Catalog, lexicon: Lexicon, settings: LinearTrainingSettings = .init()
    ) throws(DomainInputError) -> LinearModel {
        var categories: [String] = []
        for example in corpus.examples {
            guard let department = catalog.department(example.department) else {
                throw DomainInputError(field: "corpus", reason: "unknown department '\(example.department)'")
            }
            let category = example.category ?? department.categories.first { !$0.isRetired }!.id
            guard category.rawValue.hasPrefix(department.id.rawValue + "."), catalog.category(category) != nil else {
                throw DomainInputError(field: "corpus", reason: "unknown category '\(category)' for '\(department.id)'")
            }
            categories.append(category.rawValue)
        }
        guard !corpus.examples.isEmpty else { throw DomainInputError(field: "corpus", reason: "has no examples to train on") }
        let labels = Array(Set(categories)).sorted()
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let data = zip(corpus.examples, categories).map { example, category in
            (label: index[category]!, features: HashedFeatures(example.text, buckets: settings.bucketCount))
        }
        let departmentOfLabel = labels.map { catalog.category(CategoryID(unchecked: $0))!.department.id }
        let departments = Array(Set(departmentOfLabel)).sorted()
        let departmentIndex = departmentOfLabel.map { departments.firstIndex(of: $0)! }

        let matcher = try LexiconMatcher(lexicon, labels: labels)
        let hits = data.map { matcher.hits(words: $0.features.words, stems: Set($0.features.stems)) }
        func model(_ parts: Parts, temperature: Double, threshold: Double, notes: [String: String]) throws(DomainInputError) -> LinearModel
        {
            try LinearModel(
                labels: labels, bucketCount: settings.bucketCount, temperature: temperature, threshold: threshold,
                trainingDataDigest: trainingDataDigest(corpus), notes: notes, lexicon: lexicon, lexiconWeight: settings.lexiconWeight,
                regressionWeight: settings.regressionWeight, parts: parts)
        }

        // Out-of-fold logits: each fold predicted by a model trained on the others.
        var outOfFold = [[Double]](repeating: [], count: data.count)
        let folds = settings.calibrationFolds
        let foldOf = corpus.examples.map { Int((RoutingCorpus.stableHash($0.text) / 5) % UInt64(folds)) }
        for fold in 0..<folds {
            let inside = data.indices.filter { foldOf[$0] != fold }
            let partial = try model(
                parts(inside.map { data[$0] }, labelCount: labels.count, settings: settings), temperature: 1, threshold: 1, notes: [:])
            for position in data.indices where foldOf[position] == fold {
                outOfFold[position] = partial.logits(data[position].features, lexiconHits: hits[position])
            }
        }
        let truth = data.map { departmentIndex[$0.label] }
        func departmentConfidences(_ temperature: Double) -> [(best: Int, confidence: Double, truthProbability: Double)] {
            outOfFold.enumerated().map { position, logits in
                let probabilities = departmentProbabilities(
                    logits.map { $0 / temperature }, departmentIndex: departmentIndex, departmentCount: departments.count)
                let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                return (best, probabilities[best], probabilities[truth[position]])
            }
        }
        // Temperature: the grid value in 0.05...3.00 with the least negative log-likelihood.
        var temperature = 1.0
        var bestLoss = Double.infinity
        for step in 5...300 {
            let candidate = Double(step) / 100
            let loss = departmentConfidences(candidate).reduce(0) { $0 - log(max($1.truthProbability, 1e-12)) }
            if loss < bestLoss {
                bestLoss = loss
                temperature = candidate
            }
        }
        // Threshold: the lowest grid value from which every higher one is accurate enough too
        // (walking down from 0.99 and stopping at the first that falls short), so that a lucky
        // dip does not set it.
        let calibrated = departmentConfidences(temperature)
        let correct = calibrated.enumerated().map { $1.best == truth[$0] }
        var threshold = 0.99
        for step in stride(from: 99, through: 30, by: -1) {
            let candidate = Double(step) / 100
            let auto = calibrated.indices.filter { calibrated[$0].confidence >= candidate }
            guard !auto.isEmpty else { continue }
            guard Double(auto.filter { correct[$0] }.count) / Double(auto.count) >= settings.targetAutoAccuracy else { break }
            threshold = candidate
        }
        threshold = max(threshold, settings.minimumThreshold)
        let auto = calibrated.indices.filter { calibrated[$0].confidence >= threshold }
        let calibration = RoutingEvaluation.calibrationError(
            confidences: calibrated.map(\.confidence), correct: correct)
        func fixed(_ value: Double) -> String { String(format: "%.4f", value) }
        let notes: [String: String] = [
            "features": "stems and character 4-grams of folded text, hashed; log(1+count), L2-normalised for the regression",
            "training": "SGD, \(settings.epochs) epochs, rate \(settings.learningRate), l2 \(settings.l2), seed \(settings.seed)",
            "combination":
                "\(settings.regressionWeight) x regression + naive Bayes (smoothing \(settings.naiveBayesSmoothing)) + \(settings.lexiconWeight) per lexicon hit",
            "examples": String(data.count),
            "outOfFoldAccuracy": fixed(Double(correct.filter { $0 }.count) / Double(correct.count)),
            "outOfFoldCoverage": fixed(Double(auto.count) / Double(correct.count)),
            "outOfFoldAutoAccuracy": fixed(auto.isEmpty ? 0 : Double(auto.filter { correct[$0] }.count) / Double(auto.count)),
            "outOfFoldECE": fixed(calibration.error),
        ]
        return try model(
            parts(data, labelCount: labels.count, settings: settings), temperature: temperature, threshold: threshold, notes: notes)
    }

    /// SHA-256 (hex) of the corpus rows, in order, as `department|category|text` lines.
    public static func trainingDataDigest(_ corpus: RoutingCorpus) -> String {
        sha256(Array(corpus.examples.map { "\($0.department)|\($0.category?.rawValue ?? "")|\($0.text)\n" }.joined().utf8))
    }

    /// Department probabilities from category logits: a softmax over categories, summed per department.
    static func departmentProbabilities(_ logits: [Double], departmentIndex: [Int], departmentCount: Int) -> [Double] {
        let probabilities = Router.softmax(logits)
        var departments = [Double](repeating: 0, count: departmentCount)
        for (label, p) in probabilities.enumerated() { departments[departmentIndex[label]] += p }
        return departments
    }

    /// The regression (by `fit`) and naive Bayes over the same buckets: log((count + α) /
    /// (label total + α · buckets seen)) per bucket, and log((documents + 1) / (all + labels)).
    static func parts(
        _ data: [(label: Int, features: HashedFeatures)], labelCount width: Int, settings: LinearTrainingSettings
    ) -> Parts {
        let (weights, bias) = fit(data, labelCount: width, settings: settings)
        var seen = [Bool](repeating: false, count: settings.bucketCount)
        var counts = [Double](repeating: 0, count: settings.bucketCount * width)
        var totals = [Double](repeating: 0, count: width)
        var documents = [Double](repeating: 0, count: width)
        for example in data {
            documents[example.label] += 1
            for (bucket, count) in zip(example.features.buckets, example.features.counts) {
                seen[Int(bucket)] = true
                counts[Int(bucket) * width + example.label] += count
                totals[example.label] += count
            }
        }
        let vocabulary = Double(seen.filter { $0 }.count)
        let alpha = settings.naiveBayesSmoothing
        var naiveBayes = [Double](repeating: 0, count: counts.count)
        for bucket in 0..<settings.bucketCount where seen[bucket] {
            for label in 0..<width {
                naiveBayes[bucket * width + label] = log((counts[bucket * width + label] + alpha) / (totals[label] + alpha * vocabulary))
            }
        }
        let all = Double(data.count)
        let prior = documents.map { log(($0 + 1) / (all + Double(width))) }
        return Parts(seen: seen, weights: weights, bias: bias, naiveBayes: naiveBayes, naiveBayesPrior: prior)
    }

    /// Stochastic gradient descent on the softmax loss with L2, the regularisation kept exact
    /// under sparse updates by a global scale on the weights. Returns dense row-major weights.
    static func fit(
        _ data: [(label: Int, features: HashedFeatures)], labelCount width: Int, settings: LinearTrainingSettings
    ) -> (weights: [Double], bias: [Double]) {
        var weights = [Double](repeating: 0, count: settings.bucketCount * width)
        var bias = [Double](repeating: 0, count: width)
        var scale = 1.0
        var step = 0.0
        var order = Array(data.indices)
        var state = settings.seed
        var p = [Double](repeating: 0, count: width)
        weights.withUnsafeMutableBufferPointer { w in
            for _ in 0..<settings.epochs {
                // Fisher-Yates with a 64-bit LCG: the same seed, the same order everywhere.
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
                }
                for k in order {
                    let example = data[k]
                    let rate = settings.learningRate / (1 + settings.l2 * settings.learningRate * step)
                    step += 1
                    for c in 0..<width { p[c] = bias[c] }
                    for (bucket, value) in zip(example.features.buckets, example.features.values) {
                        let base = Int(bucket) * width
                        let v = scale * value
                        for c in 0..<width { p[c] += v * w[base + c] }
                    }
                    var peak = p[0]
                    for c in 1..<width where p[c] > peak { peak = p[c] }
                    var total = 0.0
                    for c in 0..<width {
                        p[c] = exp(p[c] - peak)
                        total += p[c]
                    }
                    for c in 0..<width { p[c] /= total }
                    p[example.label] -= 1
                    scale *= 1 - rate * settings.l2
                    let gain = rate / scale
                    for (bucket, value) in zip(example.features.buckets, example.features.values) {
                        let base = Int(bucket) * width
                        let g = gain * value
                        for c in 0..<width { w[base + c] -= g * p[c] }
                    }
                    for c in 0..<width { bias[c] -= rate * p[c] }
                }
            }
            for index in w.indices { w[index] *= scale }
        }
        return (weights, bias)
    }
}
