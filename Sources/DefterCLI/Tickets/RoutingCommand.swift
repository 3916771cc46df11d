import ArgumentParser
import DefterDomain
import DefterLog
import DefterRouting
import DefterTickets
import Foundation

/// `defter routing …`: the router on its own, for operators and for measuring it.
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Classify request texts, evaluate the router and train its model.",
        subcommands: [ClassifyCommand.self, EvaluateCommand.self, TrainCommand.self]
    )
}

/// Options shared by the routing commands.
struct RouterOptions: ParsableArguments {
    @Option(help: "Route automatically at or above this confidence; below it, to triage (default: the model's calibrated one; 0.6 for nb).")
    var threshold: Double?

    @Option(help: "The router: 'lr' (the shipped calibrated logistic regression) or 'nb' (the earlier naive Bayes).")
    var engine: Engine = .lr

    enum Engine: String, ExpressibleByArgument, CaseIterable { case lr, nb }

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be between 0 and 1") }
    }

    /// The bundled router, or with `corpus` one trained now on it (the linear model with its
    /// calibration, as `defter routing train` makes it).
    func router(trainingOn corpus: RoutingCorpus? = nil) throws -> (Router, Catalog) {
        let catalog = try BundledCatalog.load()
        switch engine {
        case .nb:
            return (try Router.naiveBayes(catalog: catalog, corpus: corpus, threshold: threshold ?? 0.6), catalog)
        case .lr:
            let model =
                try corpus.map { try LinearModel.train(corpus: $0, catalog: catalog, lexicon: try Router.bundledLexicon()) }
                ?? Router.bundledModel()
            return (try Router(catalog: catalog, model: model, threshold: threshold), catalog)
        }
    }
}

struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Read one request text a line on stdin; print one JSON decision a line.",
        discussion: """
            {"department", "departmentName", "category", "confidence", "auto", "reasons", "alternatives", "routerVersion"}
            """
    )

    @OptionGroup var options: RouterOptions

    func run() async throws {
        let (router, catalog) = try options.router()
        var reader = LineReader(descriptor: 0)
        var lineNumber = 0
        while let line = try reader.next() {
            lineNumber += 1
            guard let text = String(validating: line, as: UTF8.self) else {
                throw CLIFailure("line \(lineNumber): not valid UTF-8", exitCode: CLIFailure.badInput)
            }
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let decision = router.classify(text)
            Terminal.json([
                "department": .string(decision.department.rawValue),
                "departmentName": .string(catalog.department(decision.department)?.name ?? ""),
                "category": .string(decision.category.rawValue),
                "confidence": .number(decision.confidence),
                "auto": .bool(decision.auto),
                "reasons": .array(decision.terms.map { .string($0) }),
                "alternatives": .array(
                    decision.alternatives.map {
                        [
                            "department": .string($0.department.rawValue), "category": .string($0.category.rawValue),
                            "confidence": .number($0.confidence),
                        ]
                    }),
                "routerVersion": .string(decision.routerVersion),
            ])
        }
    }
}

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate the router on a labelled CSV (columns label,text; label a department id).",
        discussion: """
            Prints accuracy, macro-F1, coverage (share auto-routed), accuracy among auto-routed, the
            expected calibration error (10 bins) and its reliability table, precision and recall per
            department, the confusion matrix, and the classify speed on one core (texts/s, p99).
            With --held-out, trains on 80% of the bundled corpus and evaluates on the other 20% (a
            fixed, hash-based split); --engine nb measures the earlier naive Bayes router.
            """
    )

    @OptionGroup var options: RouterOptions

    @Argument(help: "A CSV file with a header naming 'label' and 'text'.")
    var file: String?

    @Flag(help: "Evaluate on the held-out fifth of the bundled corpus instead of a file.")
    var heldOut = false

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Train the router on this labelled CSV instead of using the bundled model (to measure on texts from another source).")
    var trainOn: String?

    func validate() throws {
        guard (file != nil) != heldOut else { throw ValidationError("give a CSV file or --held-out, not both or neither") }
        guard trainOn == nil || !heldOut else { throw ValidationError("--train-on and --held-out do not go together") }
    }

    static func readCorpus(_ path: String) throws -> RoutingCorpus {
        let url = URL(fileURLWithPath: path)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw CLIFailure("cannot read \(url.path) as UTF-8 text", exitCode: CLIFailure.badInput)
        }
        do { return try RoutingCorpus(csv: text) } catch {
            throw CLIFailure("\(url.path): \(error.description)", exitCode: CLIFailure.badInput)
        }
    }

    func run() async throws {
        let corpus: RoutingCorpus
        let router: Router
        if heldOut {
            let split = try Router.bundledCorpus().split()
            router = try options.router(trainingOn: split.training).0
            corpus = split.heldOut
        } else {
            corpus = try Self.readCorpus(file!)
            router = try options.router(trainingOn: try trainOn.map(Self.readCorpus)).0
        }
        let evaluation = RoutingEvaluation(router: router, corpus: corpus)
        let speed = Self.speed(router, texts: corpus.examples.map(\.text))
        if json {
            var matrix: [String: JSONValue] = [:]
            for (actual, row) in evaluation.confusion {
                matrix[actual.rawValue] = .object(
                    Dictionary(uniqueKeysWithValues: row.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value))) }))
            }
            Terminal.json([
                "count": .integer(Int64(evaluation.count)), "accuracy": .number(evaluation.accuracy),
                "macroF1": .number(evaluation.macroF1),
                "coverage": .number(evaluation.coverage), "autoAccuracy": .number(evaluation.autoAccuracy),
                "threshold": .number(router.threshold), "ece": .number(evaluation.calibrationError),
                "reliability": .array(
                    evaluation.reliability.map {
                        [
                            "lower": .number($0.lower), "upper": .number($0.upper), "count": .integer(Int64($0.count)),
                            "meanConfidence": .number($0.meanConfidence), "accuracy": .number($0.accuracy),
                        ]
                    }),
                "departments": .object(
                    Dictionary(
                        uniqueKeysWithValues: evaluation.perDepartment.map {
                            (
                                $0.department.rawValue,
                                JSONValue.object([
                                    "precision": .number($0.precision), "recall": .number($0.recall),
                                    "support": .integer(Int64($0.support)),
                                ])
                            )
                        })),
                "textsPerSecond": .number(speed.perSecond), "p99Milliseconds": .number(speed.p99Milliseconds),
                "routerVersion": .string(router.version), "confusion": .object(matrix),
            ])
            return
        }
        func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        Terminal.line("examples:                  \(evaluation.count)")
        Terminal.line("accuracy:                  \(percent(evaluation.accuracy))")
        Terminal.line("macro-F1:                  \(String(format: "%.3f", evaluation.macroF1))")
        Terminal.line("coverage (auto-routed):    \(percent(evaluation.coverage)) at threshold \(router.threshold)")
        Terminal.line("accuracy among auto-routed: \(percent(evaluation.autoAccuracy))")
        Terminal.line("calibration error (ECE):   \(String(format: "%.3f", evaluation.calibrationError)) (10 bins)")
        Terminal.line(
            "speed (one core):          \(String(format: "%.0f", speed.perSecond)) texts/s, p99 \(String(format: "%.3f", speed.p99Milliseconds)) ms/text"
        )
        Terminal.line("router:                    \(router.version)")
        Terminal.line("")
        Terminal.line("reliability (confidence bin: count, mean confidence, accuracy)")
        for bin in evaluation.reliability where bin.count > 0 {
            Terminal.line(
                "  (\(String(format: "%.1f", bin.lower)), \(String(format: "%.1f", bin.upper))]: \(pad(String(bin.count), 5)) "
                    + "\(String(format: "%.3f", bin.meanConfidence))  \(String(format: "%.3f", bin.accuracy))")
        }
        Terminal.line("")
        Terminal.line("per department: precision, recall (support)")
        for entry in evaluation.perDepartment {
            Terminal.line(
                "  \(pad(entry.department.rawValue, 18)) \(percent(entry.precision).padding(toLength: 7, withPad: " ", startingAt: 0)) "
                    + "\(percent(entry.recall).padding(toLength: 7, withPad: " ", startingAt: 0)) (\(entry.support))")
        }
        Terminal.line("")
        Terminal.line("confusion matrix (rows: actual, columns: predicted)")
        let labels = evaluation.labels
        let short = labels.map { String($0.rawValue.prefix(6)) }
        Terminal.line(pad("", 18) + short.map { pad($0, 7) }.joined())
        for actual in labels {
            let row = labels.map { pad(String(evaluation.confusion[actual]?[$0] ?? 0), 7) }
            Terminal.line(pad(actual.rawValue, 18) + row.joined())
        }
    }

    /// Classifies `texts` over and over (at least 20,000 times) on this thread, timing each.
    static func speed(_ router: Router, texts: [String]) -> (perSecond: Double, p99Milliseconds: Double) {
        guard !texts.isEmpty else { return (0, 0) }
        var durations: [UInt64] = []
        let rounds = max(1, (20_000 + texts.count - 1) / texts.count)
        durations.reserveCapacity(rounds * texts.count)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds {
            for text in texts {
                let before = DispatchTime.now().uptimeNanoseconds
                _ = router.classify(text)
                durations.append(DispatchTime.now().uptimeNanoseconds - before)
            }
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        durations.sort()
        let p99 = durations[min(durations.count - 1, durations.count * 99 / 100)]
        return (Double(durations.count) / total, Double(p99) / 1e6)
    }
}

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the router's model on the bundled corpus and write it (the same bytes every time).",
        discussion: """
            Trains a logistic regression over stems and character 4-grams, fits its temperature and
            threshold on out-of-fold predictions, writes the model to --out and its SHA-256 to
            --out.sha256. To ship it: --out Sources/DefterRouting/Resources/router-model.bin.
            """
    )

    @Option(help: "Where to write the model.")
    var out: String

    @Flag(help: "Train on the training four-fifths only (the model `eval --held-out` measures).")
    var trainingFolds = false

    @Flag(
        help:
            "Learn from the operators' corrections in the log (RoutingOverridden, TicketReferred): compare a candidate with the router in force and write and publish it only when it is better."
    )
    var fromLog = false

    @OptionGroup var dataFolder: DataFolderOptions

    func validate() throws {
        guard !(fromLog && trainingFolds) else { throw ValidationError("--from-log and --training-folds do not go together") }
    }

    func run() async throws {
        if fromLog { return try await learnFromLog() }
        let catalog = try BundledCatalog.load()
        var corpus = try Router.bundledCorpus()
        if trainingFolds { corpus = corpus.split().training }
        let model = try LinearModel.train(corpus: corpus, catalog: catalog, lexicon: try Router.bundledLexicon())
        let url = URL(fileURLWithPath: out)
        do {
            try Data(model.serialized()).write(to: url)
            try Data("\(model.digest)  \(url.lastPathComponent)\n".utf8).write(to: url.appendingPathExtension("sha256"))
        } catch {
            throw CLIFailure("cannot write \(url.path): \(error.localizedDescription)", exitCode: CLIFailure.badInput)
        }
        Terminal.line("model:          \(url.path) (\(model.serialized().count) bytes)")
        Terminal.line("sha256:         \(model.digest)")
        Terminal.line("router version: \(Router.linearVersionPrefix)-\(model.digest.prefix(12))")
        Terminal.line("training data:  \(model.trainingDataDigest) (\(corpus.examples.count) examples)")
        Terminal.line("temperature:    \(model.temperature), threshold \(model.threshold)")
        for (key, value) in model.notes.sorted(by: { $0.key < $1.key }) { Terminal.line("\(key): \(value)") }
    }

    /// The corrections' texts are opened in memory only (each read recorded in the log as
    /// `PersonalDataAccessed` by `router-training`) and never written.
    func learnFromLog() async throws {
        let context = try ServiceContext.open(dataFolder)
        defer { context.close() }
        let catalog = try await context.service.catalogInForce()
        let corrections = try await context.service.routingCorrections(
            by: ActorID("router-training"), reason: "Yönlendirme modelini operatör düzeltmelerinden eğitmek (router training)")
        Terminal.line("corrections in the log: \(corrections.count) tickets")
        var reasons: [String: Int] = [:]
        for correction in corrections { for reason in correction.reasons { reasons[reason, default: 0] += 1 } }
        for (reason, count) in reasons.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(10) {
            Terminal.line("  \(count) × \(reason)")
        }
        let learning = RouterLearning(
            corpus: try Router.bundledCorpus(),
            corrections: RoutingCorpus(
                examples: corrections.map { RoutingCorpus.Example(department: $0.department, category: $0.category, text: $0.text) }),
            catalog: catalog, lexicon: try Router.bundledLexicon())
        let comparison = try learning.compare()
        func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
        Terminal.line("                          in force   candidate")
        Terminal.line(
            "corpus held-out fifth     \(percent(comparison.inForceHeldOut).padding(toLength: 10, withPad: " ", startingAt: 0)) "
                + percent(comparison.candidateHeldOut))
        Terminal.line(
            "held-out corrections (\(comparison.heldOutCorrections)) "
                + "\(percent(comparison.inForceCorrections).padding(toLength: 10, withPad: " ", startingAt: 0)) "
                + percent(comparison.candidateCorrections))
        guard comparison.candidateIsBetter else {
            Terminal.line(
                "not better: nothing written or published (the candidate must gain on the corrections and lose at most 1 point on the corpus)"
            )
            return
        }
        let model = try learning.candidateModel()
        let router = try Router(catalog: catalog, model: model)
        let url = URL(fileURLWithPath: out)
        do {
            try Data(model.serialized()).write(to: url)
            try Data("\(model.digest)  \(url.lastPathComponent)\n".utf8).write(to: url.appendingPathExtension("sha256"))
        } catch {
            throw CLIFailure("cannot write \(url.path): \(error.localizedDescription)", exitCode: CLIFailure.badInput)
        }
        _ = try await TicketService.publish(router, to: context.log, at: Date())
        Terminal.line("better: wrote \(url.path) and published \(router.version) (RouterPublished)")
    }
}
