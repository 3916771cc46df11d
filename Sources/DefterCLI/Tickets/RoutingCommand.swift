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
        abstract: "Classify request texts and evaluate the router.",
        subcommands: [ClassifyCommand.self, EvaluateCommand.self]
    )
}

/// Options shared by the routing commands.
struct RouterOptions: ParsableArguments {
    @Option(help: "Route automatically at or above this confidence; below it, to triage.")
    var threshold: Double = 0.6

    func validate() throws {
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
    }

    func router(trainingOn corpus: RoutingCorpus? = nil) throws -> (Router, Catalog) {
        let catalog = try BundledCatalog.load()
        let router = try Router(
            catalog: catalog, corpus: try corpus ?? Router.bundledCorpus(), lexicon: try Router.bundledLexicon(), threshold: threshold)
        return (router, catalog)
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
            Prints accuracy, macro-F1, coverage (share auto-routed), accuracy among auto-routed, and the
            confusion matrix. With --held-out, trains on 80% of the bundled corpus and evaluates on the
            other 20% (a fixed, hash-based split).
            """
    )

    @OptionGroup var options: RouterOptions

    @Argument(help: "A CSV file with a header naming 'label' and 'text'.")
    var file: String?

    @Flag(help: "Evaluate on the held-out fifth of the bundled corpus instead of a file.")
    var heldOut = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (file != nil) != heldOut else { throw ValidationError("give a CSV file or --held-out, not both or neither") }
    }

    func run() async throws {
        let corpus: RoutingCorpus
        let router: Router
        if heldOut {
            let split = try Router.bundledCorpus().split()
            router = try options.router(trainingOn: split.training).0
            corpus = split.heldOut
        } else {
            let url = URL(fileURLWithPath: file!)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw CLIFailure("cannot read \(url.path) as UTF-8 text", exitCode: CLIFailure.badInput)
            }
            do { corpus = try RoutingCorpus(csv: text) } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
            router = try options.router().0
        }
        let evaluation = RoutingEvaluation(router: router, corpus: corpus)
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
                "routerVersion": .string(router.version), "confusion": .object(matrix),
            ])
            return
        }
        func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
        Terminal.line("examples:                  \(evaluation.count)")
        Terminal.line("accuracy:                  \(percent(evaluation.accuracy))")
        Terminal.line("macro-F1:                  \(String(format: "%.3f", evaluation.macroF1))")
        Terminal.line("coverage (auto-routed):    \(percent(evaluation.coverage)) at threshold \(options.threshold)")
        Terminal.line("accuracy among auto-routed: \(percent(evaluation.autoAccuracy))")
        Terminal.line("router:                    \(router.version)")
        Terminal.line("")
        Terminal.line("confusion matrix (rows: actual, columns: predicted)")
        let labels = evaluation.labels
        let short = labels.map { String($0.rawValue.prefix(6)) }
        Terminal.line(
            "".padding(toLength: 18, withPad: " ", startingAt: 0)
                + short.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
        for actual in labels {
            let row = labels.map { String(evaluation.confusion[actual]?[$0] ?? 0).padding(toLength: 7, withPad: " ", startingAt: 0) }
            Terminal.line(actual.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0) + row.joined())
        }
    }
}
