import ArgumentParser
import DefterDomain
import DefterImport
import DefterLog
import DefterProjections
import DefterRouting
import DefterTickets
import Foundation

/// The log, the key vault and the ticket service of one data folder, opened together and closed
/// in reverse order.
struct ServiceContext {
    let log: EventLog
    let vault: KeyVault
    let service: TicketService

    /// Opens the data folder; only commands that record something may create a new log.
    static func open(
        _ dataFolder: DataFolderOptions, create: Bool = false, threshold: Double? = nil,
        groupCommitObserver: (@Sendable (_ events: Int, _ batches: Int) -> Void)? = nil
    ) throws -> ServiceContext {
        let log = try dataFolder.open(create: create, groupCommitObserver: groupCommitObserver)
        do {
            let vault = try KeyVault.open(at: log.folder.appendingPathComponent("vault"))
            let catalog = try BundledCatalog.load()
            let router = try Router.bundled(catalog: catalog, threshold: threshold)
            return ServiceContext(
                log: log, vault: vault, service: TicketService(log: log, vault: vault, router: router, bundledCatalog: catalog))
        } catch {
            log.close()
            throw error
        }
    }

    func close() {
        vault.close()
        log.close()
    }
}

struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Record calls from NDJSON on stdin, one call a line; print one result a line.",
        discussion: """
            Each line: {"callId", "channel" (phone|web|mobile-app|whatsapp|email|walk-in), "operatorId",
            "at"? (RFC 3339), "district", "neighbourhood"?, "caller": {"text", "name"?, "phone"?, "nationalId"?,
            "address"?, "email"?, "coordinates"?: {"latitude", "longitude"}}, "category"?, "informationTopic"?}.
            Personal data is sealed before anything is written. A retried callId returns its first ticket.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    static let allowedFields: Set<String> = [
        "callId", "channel", "operatorId", "at", "district", "neighbourhood", "caller", "category", "informationTopic",
    ]

    func run() async throws {
        let context = try ServiceContext.open(dataFolder, create: true)
        defer { context.close() }
        var reader = LineReader(descriptor: 0)
        var lineNumber = 0
        let decoder = TicketEventCodec.makeDecoder()
        while let line = try reader.next() {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let request: CallRequest
            do {
                guard case .object(let fields) = try JSONValue(parsing: line) else {
                    throw CLIFailure("expected a JSON object", exitCode: 2)
                }
                if let unknown = fields.keys.filter({ !Self.allowedFields.contains($0) }).sorted().first {
                    throw CLIFailure(
                        "unknown field \"\(unknown)\" (allowed: \(Self.allowedFields.sorted().joined(separator: ", ")))", exitCode: 2)
                }
                request = try decoder.decode(CallRequest.self, from: Data(line))
            } catch let failure as CLIFailure {
                throw CLIFailure("line \(lineNumber): \(failure.message); nothing of this line was written", exitCode: CLIFailure.badInput)
            } catch {
                throw CLIFailure(
                    "line \(lineNumber): \(Self.describe(error)); nothing of this line was written", exitCode: CLIFailure.badInput)
            }
            let result: IntakeResult
            do {
                result = try await context.service.receiveCall(request)
            } catch let error as TicketError {
                throw CLIFailure("line \(lineNumber): \(error); nothing of this line was written", exitCode: CLIFailure.badInput)
            }
            var output: [String: JSONValue] = [
                "line": .integer(Int64(lineNumber)), "ticket": .string(result.ticket.rawValue), "status": .string(result.status.rawValue),
                "duplicate": .bool(result.duplicate),
            ]
            if let destination = result.destination { output["destination"] = .string(destination.rawValue) }
            if let routing = result.routing {
                output["confidence"] = .number(routing.confidence)
                output["auto"] = .bool(routing.auto)
                output["category"] = .string(routing.category.rawValue)
            }
            Terminal.json(.object(output))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        case DecodingError.dataCorrupted(let context) where context.codingPath.last?.stringValue == "channel":
            "\"channel\" must be one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))"
        case DecodingError.dataCorrupted(let context):
            "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)"
        case let error as JSONParseError: "not valid JSON: \(error)"
        default: "\(error)"
        }
    }
}

struct ShowTicketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket",
        abstract: "Show one ticket as its events leave it (never its personal data)."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Argument(help: "The ticket number, e.g. 2025-000123.")
    var id: String?

    @Option(help: ArgumentHelp("Find an imported ticket by its id in the system it came from.", valueName: "source-id"))
    var source: String?

    @Option(help: ArgumentHelp("With --source: the source system, when several were imported.", valueName: "name"))
    var system: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (id == nil) != (source == nil) else { throw ValidationError("give a ticket number, or --source with a source id") }
        if system != nil && source == nil { throw ValidationError("--system goes with --source") }
    }

    func run() async throws {
        let context = try ProjectionContext.open(dataFolder)
        defer { context.close() }
        let ticketID: TicketID
        if let source {
            let found = try LegacyImporter.ticket(source: source, system: system, in: context.log)
            guard let first = found.first else {
                throw CLIFailure(
                    "no imported record has the source id '\(source)'\(system.map { " in \($0)" } ?? "")", exitCode: CLIFailure.badInput)
            }
            guard found.count == 1 else {
                throw CLIFailure(
                    "the source id '\(source)' was imported from several systems (\(found.map { "\($0.system): \($0.ticket)" }.joined(separator: ", "))); say which with --system",
                    exitCode: CLIFailure.badInput)
            }
            ticketID = first.ticket
        } else {
            do { ticketID = try TicketID(id ?? "") } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
        }
        guard let view = try context.projections.tickets.ticketView(ticketID) else {
            throw CLIFailure("ticket \(ticketID) does not exist", exitCode: CLIFailure.badInput)
        }
        let object = view.json
        if json {
            Terminal.json(object)
        } else if case .object(let fields) = object {
            for name in fields.keys.sorted() where fields[name] != .null {
                let value = fields[name]!
                Terminal.line(name.padding(toLength: 14, withPad: " ", startingAt: 0) + (value.stringValue ?? value.canonicalString))
            }
        }
    }
}

struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Personal data under KVKK: erase a citizen's data for good.",
        subcommands: [EraseCommand.self]
    )
}

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Destroy a citizen's key, so that all their sealed data becomes unreadable, delete their photos, and record it.",
        discussion: "The log's bytes are untouched: `defter log verify` still passes and every proof still holds."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The citizen reference (c-...) as shown to authorised staff.")
    var citizen: String

    @Option(help: "Why (e.g. the application number of the data subject's request).")
    var reason: String = "KVKK erasure request"

    @Option(help: "Who erases.")
    var by: String = "privacy-officer"

    func run() async throws {
        let ref: CitizenRef
        let actor: ActorID
        do {
            ref = try CitizenRef(citizen)
            actor = try ActorID(by)
        } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
        let context = try ServiceContext.open(dataFolder)
        defer { context.close() }
        let existed = try await context.service.eraseCitizen(ref, by: actor, reason: reason)
        Terminal.json(["citizen": .string(ref.rawValue), "erased": .bool(true), "keyExisted": .bool(existed)])
    }
}
