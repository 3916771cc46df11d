import ArgumentParser
import DefterDomain
import DefterHTTP
import DefterLog
import DefterNotify
import DefterProjections
import DefterTickets
import DefterWitness
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service with the projection and deadline workers until SIGINT or SIGTERM.",
        discussion: "Stops taking requests, lets in-flight appends finish, stops the workers, then closes LMDB.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 8153

    @Option(
        help: ArgumentHelp(
            "The address people reach the service at, e.g. https://alo153.example.gov.tr (behind a TLS proxy).",
            discussion: "Console writes must come from this origin; with https the session cookie is Secure."))
    var publicURL: String?

    @Option(
        help: ArgumentHelp(
            "Sign a checkpoint and refresh the public dashboard at most this often while the log grows: minutes, or with s seconds (30s).",
            valueName: "minutes"))
    var checkpointEvery: String = "10"

    @Option(help: "Requests a second each client IP may make to the public pages and /v1/public (bursts of 5x); 0 turns the limit off.")
    var publicRateLimit: Double = 20

    @Option(
        help: ArgumentHelp(
            "Keep this folder's C2SP tiles current at every checkpoint the service signs (as `defter log publish --to`).",
            valueName: "dir"))
    var publish: String?

    @Option(
        help: ArgumentHelp(
            "A C2SP tlog-witness to ask to cosign each checkpoint, as URL=VKEY (its cosigner key text, or a file); repeat for several.",
            valueName: "url=vkey"))
    var witness: [String] = []

    @Option(help: "How many witnesses must cosign a checkpoint before it is published as tiles (--publish).")
    var witnessQuorum: Int = 0

    @Flag(help: "Serve reads only and refuse every write: how a mirror (`defter mirror`) is served.")
    var readOnly = false

    @Option(
        help: ArgumentHelp(
            "The most calls recorded at once; past that intake answers 503 with Retry-After instead of queueing.",
            valueName: "calls"))
    var maxPendingIntake: Int = 1024

    /// `--checkpoint-every` as a duration.
    var publicationInterval: Duration? {
        let text = checkpointEvery.trimmingCharacters(in: .whitespaces)
        let seconds =
            text.hasSuffix("s") ? Double(text.dropLast()) : Double(text.hasSuffix("m") ? String(text.dropLast()) : text).map { $0 * 60 }
        guard let seconds, seconds >= 1, seconds <= 7 * 24 * 3600 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }

    @Option(
        help: ArgumentHelp(
            "A JSON file configuring how citizens are told about their tickets (SMTP e-mail, an SMS gateway's webhook).",
            discussion: "Without it no citizen is notified. See docs/operations.md#notifications."),
        completion: .file())
    var notifyConfig: String?

    func validate() throws {
        guard publicationInterval != nil else {
            throw ValidationError("--checkpoint-every must be minutes (10) or seconds (30s), from 1 second to 7 days")
        }
        guard publicRateLimit >= 0, publicRateLimit.isFinite else {
            throw ValidationError("--public-rate-limit must be 0 (no limit) or a number of requests a second, such as 20")
        }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        guard witnessQuorum >= 0, witnessQuorum <= witness.count else {
            throw ValidationError("--witness-quorum must be 0 to the number of --witness given (\(witness.count))")
        }
        guard (1...1_000_000).contains(maxPendingIntake) else {
            throw ValidationError("--max-pending-intake must be 1 to 1000000 calls (1024 unless given)")
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--public-url must be an http or https address such as https://alo153.example.gov.tr")
            }
        }
    }

    func run() async throws {
        let metrics = DefterMetrics()
        let context = try ServiceContext.open(dataFolder, create: true, groupCommitObserver: metrics.groupCommitObserver)
        defer { context.close() }
        var logger = Logger(label: "defter")
        logger.logLevel = .info
        if !context.log.canSign && !readOnly {
            throw CLIFailure(
                "\(dataFolder.folder.path) is a mirror (it has no signing key): serve it with --read-only, or make it the primary with `defter mirror promote`",
                exitCode: CLIFailure.badInput)
        }
        let projections = try openProjections(log: context.log, logger: logger)
        defer { projections.close() }
        let tokens = try TokenStore(folder: context.log.folder.appendingPathComponent("tokens"))
        defer { tokens.close() }
        let catalog = try await context.service.catalogInForce()
        let witnesses = try openWitnesses(context)
        defer { witnesses?.close() }
        let figures = PublishedFigures(projections: projections, log: context.log, catalog: catalog)
        let api = DefterAPI(
            service: context.service, projections: projections, log: context.log, tokens: tokens, catalog: catalog, logger: logger,
            metrics: metrics, publicURL: publicURL.flatMap(URL.init(string:)), console: try consoleFiles(),
            publicPages: try publicPages(), figures: figures,
            publicLimiter: publicRateLimit > 0 ? RateLimiter(perSecond: publicRateLimit, burst: publicRateLimit * 5) : nil,
            intakeGate: IntakeGate(limit: maxPendingIntake), witnesses: witnesses, readOnly: readOnly)
        // A mirror only reads: no deadline escalations and no notifications (its primary's own).
        var services: [any Service] =
            readOnly
            ? [projections]
            : [
                projections, DeadlineWorker(service: context.service, queues: projections.queues, logger: logger),
                CheckpointPublisher(
                    figures: figures, interval: publicationInterval!, logger: logger, tiles: publish.map { URL(fileURLWithPath: $0) },
                    witnesses: witnesses),
            ]
        let notifier = try openNotifier(context, logger: logger)
        defer { notifier?.close() }
        if let notifier, !readOnly { services.append(notifier) }
        let app = Application(
            router: api.router(), configuration: .init(address: .hostname(host, port: port), serverName: "defter"), services: services,
            logger: logger)
        try await app.runService()
    }

    /// The client asking `--witness` witnesses to cosign, nil without any; a mirror (`--read-only`)
    /// has one asking nobody, to show the cosignatures `defter mirror` kept.
    private func openWitnesses(_ context: ServiceContext) throws -> WitnessClient? {
        guard !witness.isEmpty || readOnly else { return nil }
        return try WitnessClient(
            endpoints: try witnessEndpoints(witness), folder: context.log.folder.appendingPathComponent("witnesses"),
            quorum: witnessQuorum)
    }

    /// The notifier when `--notify-config` names a usable file; nil (logged) without one.
    private func openNotifier(_ context: ServiceContext, logger: Logger) throws -> Notifier? {
        guard let notifyConfig else {
            logger.notice("no --notify-config: citizens are not told about their tickets by SMS or e-mail")
            return nil
        }
        let configuration: NotifyConfiguration
        do { configuration = try NotifyConfiguration.load(URL(fileURLWithPath: notifyConfig)) } catch {
            throw CLIFailure(error.description, exitCode: CLIFailure.badInput)
        }
        let links = configuration.publicURL ?? publicURL ?? "http://\(host):\(port)"
        logger.notice(
            "notifying citizens",
            metadata: ["channels": "\(configuration.preference.map(\.rawValue).joined(separator: ","))", "links": "\(links)"])
        return try Notifier(
            service: context.service, log: context.log, configuration: configuration, publicURL: links,
            folder: context.log.folder.appendingPathComponent("notifier"), logger: logger)
    }

    /// The console's files: this release's, or with `DEFTER_CONSOLE_DIR` a folder read anew at
    /// every request (for working on the console without rebuilding).
    private func consoleFiles() throws -> ConsoleFiles {
        try filesFromEnvironment("DEFTER_CONSOLE_DIR", what: "the console", bundled: .bundled, singlePage: true)
    }

    /// The public pages' files: this release's, or with `DEFTER_PUBLIC_DIR` a folder read anew at
    /// every request.
    private func publicPages() throws -> ConsoleFiles {
        try filesFromEnvironment("DEFTER_PUBLIC_DIR", what: "the public pages", bundled: .bundledPublicPages, singlePage: false)
    }

    /// The folder named by the environment variable `name`, or `bundled` when it is unset.
    private func filesFromEnvironment(_ name: String, what: String, bundled: ConsoleFiles, singlePage: Bool) throws -> ConsoleFiles {
        guard let folder = ProcessInfo.processInfo.environment[name], !folder.isEmpty else { return bundled }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CLIFailure(
                "\(name)=\(folder) is not a folder; unset it to serve \(what) built into this release", exitCode: CLIFailure.badInput)
        }
        return .folder(URL(fileURLWithPath: folder), singlePage: singlePage)
    }
}

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Bearer tokens for the HTTP service and the console.",
        subcommands: [IssueTokenCommand.self, ListTokensCommand.self, RevokeTokenCommand.self])
}

struct ListTokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List issued tokens: name, role, when issued and last used (never the token).")

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "One JSON object a line.")
    var json = false

    func run() async throws {
        let records = try dataFolder.withTokens { try $0.list() }
        if json {
            for record in records {
                var object: [String: JSONValue] = [
                    "name": .string(record.name), "role": .string(record.role), "issuedAt": .string(record.issuedAt),
                ]
                object["lastUsedAt"] = record.lastUsedAt.map { .string($0) } ?? .null
                Terminal.line(JSONValue.object(object).canonicalString)
            }
            return
        }
        guard !records.isEmpty else {
            Terminal.line("no tokens; issue one with `defter tokens issue --role ROLE --name NAME`")
            return
        }
        let rows = [["NAME", "ROLE", "ISSUED", "LAST USED"]] + records.map { [$0.name, $0.role, $0.issuedAt, $0.lastUsedAt ?? "never"] }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            Terminal.line(
                row.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}

struct RevokeTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke every token with this name; requests and console sessions using it stop working at once (401).")

    @OptionGroup var dataFolder: DataFolderOptions

    @Argument(help: "The name the token was issued with (see `defter tokens list`).")
    var name: String

    func run() async throws {
        let count = try dataFolder.withTokens { try $0.revoke(name: name) }
        guard count > 0 else {
            throw CLIFailure("no token is named '\(name)'; `defter tokens list` shows the names", exitCode: CLIFailure.badInput)
        }
        Terminal.line("revoked \(count) token\(count == 1 ? "" : "s") named '\(name)', and their sessions")
    }
}

struct IssueTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Issue a token for a role and print it once (only its hash is kept).")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "operator, department:<id>, auditor, officer, admin or open311.")
    var role: String

    @Option(help: "Who or what the token is for.")
    var name: String = "unnamed"

    func run() async throws {
        let parsed: Role
        do { parsed = try Role(role) } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
        Terminal.line(try dataFolder.withTokens { try $0.issue(role: parsed, name: name) })
    }
}

extension DataFolderOptions {
    /// Runs `body` with the data folder's token store open (created when missing).
    func withTokens<T>(_ body: (TokenStore) throws -> T) throws -> T {
        let log = try open(create: true)
        defer { log.close() }
        let tokens = try TokenStore(folder: log.folder.appendingPathComponent("tokens"))
        defer { tokens.close() }
        return try body(tokens)
    }
}
