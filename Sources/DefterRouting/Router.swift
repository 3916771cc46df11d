public import DefterDomain
import Foundation

/// Labelled requests to train and evaluate the router on.
public struct RoutingCorpus: Sendable {
    /// One labelled request.
    public struct Example: Sendable, Equatable {
        /// The department that handles it.
        public let department: DepartmentID
        /// Its category, when the corpus gives one.
        public let category: CategoryID?
        /// What the caller said.
        public let text: String

        /// Creates an example.
        public init(department: DepartmentID, category: CategoryID?, text: String) {
            self.department = department
            self.category = category
            self.text = text
        }
    }

    /// The examples, in file order.
    public let examples: [Example]

    /// Wraps examples.
    public init(examples: [Example]) { self.examples = examples }

    /// Parses CSV with a header naming `label` (a department id) and `text`, and optionally
    /// `category`. Throws naming the line of the first bad row.
    public init(csv: String) throws(DomainInputError) {
        let rows = CSV.parse(csv)
        guard let header = rows.first else { throw DomainInputError(field: "csv", reason: "the file is empty") }
        guard let labelColumn = header.firstIndex(of: "label"), let textColumn = header.firstIndex(of: "text") else {
            throw DomainInputError(
                field: "csv", reason: "the header must name the columns 'label' and 'text' (found: \(header.joined(separator: ",")))")
        }
        let categoryColumn = header.firstIndex(of: "category")
        var examples: [Example] = []
        for (offset, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            let line = offset + 2
            guard row.count == header.count else {
                throw DomainInputError(field: "csv line \(line)", reason: "has \(row.count) columns; the header has \(header.count)")
            }
            let department: DepartmentID
            do { department = try DepartmentID(row[labelColumn]) } catch {
                throw DomainInputError(field: "csv line \(line)", reason: error.reason)
            }
            var category: CategoryID?
            if let categoryColumn, !row[categoryColumn].isEmpty {
                do { category = try CategoryID(row[categoryColumn]) } catch {
                    throw DomainInputError(field: "csv line \(line)", reason: error.reason)
                }
            }
            examples.append(Example(department: department, category: category, text: row[textColumn]))
        }
        self.examples = examples
    }

    /// A deterministic split: every example whose text hashes to 0 modulo `folds` is held out.
    public func split(folds: Int = 5) -> (training: RoutingCorpus, heldOut: RoutingCorpus) {
        var training: [Example] = []
        var heldOut: [Example] = []
        for example in examples {
            if Self.stableHash(example.text) % UInt64(folds) == 0 { heldOut.append(example) } else { training.append(example) }
        }
        return (RoutingCorpus(examples: training), RoutingCorpus(examples: heldOut))
    }

    /// FNV-1a over UTF-8: stable across runs and machines (Swift's `Hasher` is not).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// Curated keywords per category: the part of the router a person can read and correct.
public struct Lexicon: Sendable, Codable {
    /// The lexicon's version.
    public let version: Int
    /// Keywords (any case, with or without diacritics) per category id.
    public let terms: [String: [String]]

    /// Creates a lexicon.
    public init(version: Int, terms: [String: [String]]) {
        self.version = version
        self.terms = terms
    }
}

/// Proposes a department and category for a caller's free text, with a confidence and the terms
/// that decided it. Two engines: the shipped one, a calibrated logistic regression loaded from a
/// trained model (`LinearModel`), and the earlier naive Bayes over word stems and character
/// 4-grams combined with a curated lexicon, trained at start-up (kept for comparison). Below
/// `threshold` the ticket goes to triage.
public struct Router: Sendable {
    /// Identifies the model (for the linear engine, with its SHA-256), recorded in every decision.
    public let version: String
    /// The confidence at or above which a ticket is routed without a human.
    public let threshold: Double
    /// The linear model, when this router runs one.
    public var linearModel: LinearModel? {
        if case .linear(let model) = engine { return model }
        return nil
    }
    /// The prefix of a linear router's version; the model's digest follows it.
    public static let linearVersionPrefix = "lr-2026.12"

    private enum Engine: Sendable {
        case naiveBayes(model: NaiveBayes, departmentModel: NaiveBayes)
        case linear(LinearModel)
    }
    private let engine: Engine
    private let labels: [String]
    private let catalog: Catalog
    private let lexicon: LexiconMatcher
    private let departmentOfLabel: [DepartmentID]
    /// Departments in id order, and each label's index among them.
    private let departments: [DepartmentID]
    private let departmentIndex: [Int]
    /// Log-odds a lexicon hit adds: curated keywords outweigh a handful of n-grams.
    private let lexiconWeight = 2.5
    /// Naive Bayes is overconfident on long texts; its scores are divided by
    /// max(1, features / `temperatureDivisor`).
    private let temperatureDivisor = 6.0

    /// Trains a router. Examples without a category count for their department's first category.
    public init(catalog: Catalog, corpus: RoutingCorpus, lexicon: Lexicon, threshold: Double = 0.6) throws(DomainInputError) {
        self.catalog = catalog
        self.threshold = threshold
        var examples: [(label: String, features: [String])] = []
        for example in corpus.examples {
            guard let department = catalog.department(example.department) else {
                throw DomainInputError(field: "corpus", reason: "unknown department '\(example.department)'")
            }
            let category = example.category ?? department.categories[0].id
            guard category.rawValue.hasPrefix(department.id.rawValue + "."), catalog.category(category) != nil else {
                throw DomainInputError(field: "corpus", reason: "unknown category '\(category)' for '\(department.id)'")
            }
            examples.append((category.rawValue, TurkishText.features(example.text)))
        }
        let smoothing = 0.5
        let model = NaiveBayes(examples: examples, smoothing: smoothing)
        let departmentModel = NaiveBayes(
            examples: examples.map { (catalog.category(CategoryID(unchecked: $0.label))!.department.id.rawValue, $0.features) },
            smoothing: smoothing)
        engine = .naiveBayes(model: model, departmentModel: departmentModel)
        labels = model.labels
        departmentOfLabel = model.labels.map { catalog.category(CategoryID(unchecked: $0))!.department.id }
        departments = Array(Set(departmentOfLabel)).sorted()
        departmentIndex = departmentOfLabel.map { [departments] in departments.firstIndex(of: $0)! }
        let matcher = try LexiconMatcher(lexicon, labels: model.labels)
        self.lexicon = matcher
        let fingerprint = RoutingCorpus.stableHash(
            corpus.examples.map { "\($0.department)|\($0.category?.rawValue ?? "")|\($0.text)" }.joined(separator: "\n")
                + "#lexicon\(lexicon.version)"
                + matcher.keywords.map { "\($0.words.joined(separator: " "))=\($0.label)" }.joined(separator: ","))
        version = "nb-stem-g4-lex\(lexicon.version)-\(String(fingerprint, radix: 16).suffix(8))"
    }

    /// A router over a trained linear model (which carries the lexicon it was trained with);
    /// `threshold` overrides the model's own.
    public init(catalog: Catalog, model: LinearModel, threshold: Double? = nil) throws(DomainInputError) {
        self.catalog = catalog
        var departmentOfLabel: [DepartmentID] = []
        for label in model.labels {
            guard let id = try? CategoryID(label), let found = catalog.category(id) else {
                throw DomainInputError(
                    field: "router model", reason: "category '\(label)' is not in catalog version \(catalog.version); retrain the model")
            }
            departmentOfLabel.append(found.department.id)
        }
        self.departmentOfLabel = departmentOfLabel
        departments = Array(Set(departmentOfLabel)).sorted()
        departmentIndex = departmentOfLabel.map { [departments] in departments.firstIndex(of: $0)! }
        labels = model.labels
        engine = .linear(model)
        self.threshold = threshold ?? model.threshold
        lexicon = model.lexiconMatcher
        version = "\(Self.linearVersionPrefix)-\(model.digest.prefix(12))"
    }

    /// The router's proposal for `text`.
    public func classify(_ text: String) -> RoutingDecision {
        switch engine {
        case .linear(let model): classifyLinear(text, model: model)
        case .naiveBayes(let model, let departmentModel): classifyNaiveBayes(text, model: model, departmentModel: departmentModel)
        }
    }

    /// Calibrated category probabilities summed per department; the category is the likeliest
    /// of the likeliest department.
    private func classifyLinear(_ text: String, model: LinearModel) -> RoutingDecision {
        let features = HashedFeatures(text, buckets: model.bucketCount)
        let stems = Set(features.stems)
        let hits = lexicon.hits(words: features.words, stems: stems)
        let probabilities = Self.softmax(model.logits(features, lexiconHits: hits))
        // Closures below capture these arrays, not `self`: a closure that reads a property
        // copies the whole router, every one of its arrays retained and released, per call.
        let (departments, departmentIndex) = (self.departments, self.departmentIndex)
        var departmentProbabilities = [Double](repeating: 0, count: departments.count)
        for (label, p) in probabilities.enumerated() { departmentProbabilities[departmentIndex[label]] += p }
        let ranked = departmentProbabilities.indices.sorted {
            departmentProbabilities[$0] != departmentProbabilities[$1]
                ? departmentProbabilities[$0] > departmentProbabilities[$1] : departments[$0] < departments[$1]
        }
        func bestCategory(in department: Int) -> Int {
            probabilities.indices.filter { departmentIndex[$0] == department }.max { probabilities[$0] < probabilities[$1] }!
        }
        let chosen = bestCategory(in: ranked[0])
        let alternatives = ranked.dropFirst().prefix(2).map { department in
            RoutingAlternative(
                department: departments[department], category: CategoryID(unchecked: labels[bestCategory(in: department)]),
                confidence: Self.round(departmentProbabilities[department]))
        }
        var terms = Array(Set(hits[chosen] ?? []).sorted().prefix(4))
        var strongest: [(feature: String, weight: Double)] = []
        let said = Set(terms.flatMap { TurkishText.words($0).map(TurkishText.stem) })
        for stem in stems where !said.contains(stem) {
            if let weight = model.weight(of: "w:" + stem, for: chosen), weight > 0.5 { strongest.append((stem, weight)) }
        }
        strongest.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.feature < $1.feature }
        for entry in strongest.prefix(max(0, 5 - terms.count)) { terms.append(entry.feature + "*") }
        let confidence = Self.round(departmentProbabilities[ranked[0]])
        return RoutingDecision(
            department: departments[ranked[0]], category: CategoryID(unchecked: labels[chosen]), confidence: confidence,
            auto: confidence >= threshold, routerVersion: version, threshold: threshold, alternatives: alternatives, terms: terms)
    }

    private func classifyNaiveBayes(_ text: String, model: NaiveBayes, departmentModel: NaiveBayes) -> RoutingDecision {
        let features = TurkishText.features(text)
        let words = TurkishText.words(text)
        var scores = model.logScores(features)
        let temperature = max(1.0, Double(features.count) / temperatureDivisor)
        scores = scores.map { $0 / temperature }
        let matched = lexicon.hits(words: words, stems: Set(words.map(TurkishText.stem)))
        for (label, hits) in matched { scores[label] += lexiconWeight * Double(hits.count) }
        // Departments: the department-level model (more examples per label than categories
        // have), plus the lexicon's hits summed per department.
        var departmentScores = departmentModel.logScores(features).map { $0 / temperature }
        for (label, hits) in matched {
            let department = departmentOfLabel[label].rawValue
            if let index = departmentModel.labels.firstIndex(of: department) {
                departmentScores[index] += lexiconWeight * Double(hits.count)
            }
        }
        let departmentProbabilities = Self.softmax(departmentScores)
        let probabilities = Self.softmax(scores)
        var departmentProbability: [DepartmentID: Double] = [:]
        for (index, p) in departmentProbabilities.enumerated() {
            departmentProbability[DepartmentID(unchecked: departmentModel.labels[index])] = p
        }
        let ranked = departmentProbability.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        func bestCategory(in department: DepartmentID) -> Int {
            probabilities.indices.filter { departmentOfLabel[$0] == department }.max { probabilities[$0] < probabilities[$1] }!
        }
        let top = ranked[0]
        let chosen = bestCategory(in: top.key)
        let alternatives = ranked.dropFirst().prefix(2).map { entry in
            RoutingAlternative(
                department: entry.key, category: CategoryID(unchecked: model.labels[bestCategory(in: entry.key)]),
                confidence: Self.round(entry.value))
        }
        var terms = Array(Set(matched[chosen] ?? []).sorted().prefix(4))
        var strongest: [(feature: String, weight: Double)] = []
        for feature in Set(features) where feature.hasPrefix("w:") {
            if let weight = model.weight(of: feature, for: chosen), weight > 1.0 { strongest.append((feature, weight)) }
        }
        strongest.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.feature < $1.feature }
        for entry in strongest.prefix(max(0, 5 - terms.count)) { terms.append(String(entry.feature.dropFirst(2)) + "*") }
        let confidence = Self.round(top.value)
        return RoutingDecision(
            department: top.key, category: CategoryID(unchecked: model.labels[chosen]), confidence: confidence,
            auto: confidence >= threshold, routerVersion: version, threshold: threshold, alternatives: alternatives, terms: terms)
    }

    static func softmax(_ scores: [Double]) -> [Double] {
        let peak = scores.max() ?? 0
        let exponentials = scores.map { exp($0 - peak) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// Confidence rounded to 4 places, so that decisions are stable, readable data.
    static func round(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}

/// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let c = pending {
            pending = iterator.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",":
                row.append(field)
                field = ""
            case "\r": continue
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
