public import ArgumentParser
import DefterDomain
import DefterLog
import DefterProjections
import DefterTickets
import Foundation

/// The `defter` command: the root of every subcommand.
public struct Defter: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "defter",
        abstract: "Defter: a verifiable, event-sourced ledger for a city's request line.",
        discussion: """
            Exit codes: 0 success, 1 a verification found a problem (or storage failed), 2 bad usage or input.
            """,
        subcommands: [
            LogCommand.self, IntakeCommand.self, ShowTicketCommand.self, QueueCommand.self, StatsCommand.self, ReplayCommand.self,
            ProjectionsCommand.self, WorkersCommand.self, ServeCommand.self, TokensCommand.self, RoutingCommand.self, PrivacyCommand.self,
            DemoCommand.self, AuditCommand.self, HistoryCommand.self, ReportCommand.self, WitnessCommand.self, MirrorCommand.self,
            ImportGroupCommand.self,
        ]
    )

    public init() {}

    /// Parses the arguments, runs the command and exits with Defter's exit codes: parse errors
    /// exit 2 (not ArgumentParser's 64), and errors are printed as one line a person can act on.
    public static func runAndExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as CLIFailure {
            Terminal.error(error.message)
            Foundation.exit(error.exitCode)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if let failure = CLIFailure(classifying: error) {
                Terminal.error(failure.message)
                Foundation.exit(failure.exitCode)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? CLIFailure.badInput : code.rawValue)
        }
    }
}

/// An error the CLI reports as one line, with the exit code it implies.
struct CLIFailure: Error {
    static let problemFound: Int32 = 1
    static let badInput: Int32 = 2

    let message: String
    let exitCode: Int32

    init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// Maps the library's errors onto exit codes: refused input and unusable folders are 2,
    /// damage and storage failures are 1.
    init?(classifying error: any Error) {
        switch error {
        case let error as CLIFailure: self = error
        case let error as AppendError: self.init(error.description, exitCode: Self.badInput)
        case let error as LogRequestError: self.init(error.description, exitCode: Self.badInput)
        case let error as EventValidationError: self.init(error.description, exitCode: Self.badInput)
        case let error as TicketError: self.init(error.description, exitCode: Self.badInput)
        case let error as DomainInputError: self.init(error.description, exitCode: Self.badInput)
        case let error as IntakeError: self.init(error.description, exitCode: Self.badInput)
        case let error as CheckpointError: self.init(error.description, exitCode: Self.problemFound)
        case let error as ProjectionError:
            self.init(
                "\(error.description); it stays at its last good checkpoint; `defter audit` shows what the log holds there",
                exitCode: Self.problemFound)
        case let error as StorageError:
            switch error.kind {
            case .notALog, .missing: self.init(error.description, exitCode: Self.badInput)
            default: self.init(error.description, exitCode: Self.problemFound)
            }
        default: return nil
        }
    }
}

/// Where the log lives: `--data`, else `DEFTER_DATA`, else `./data`.
struct DataFolderOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data folder (default: $DEFTER_DATA or ./data).", valueName: "dir"))
    var data: String?

    var folder: URL {
        let path = data ?? ProcessInfo.processInfo.environment["DEFTER_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        return URL(fileURLWithPath: path)
    }

    /// Opens the log; reading commands never create one.
    func open(
        readOnly: Bool = false, create: Bool = false, groupCommitObserver: (@Sendable (_ events: Int, _ batches: Int) -> Void)? = nil
    ) throws -> EventLog {
        var configuration = LogConfiguration()
        configuration.readOnly = readOnly
        configuration.createIfMissing = create
        configuration.groupCommitObserver = groupCommitObserver
        configuration.logger.logLevel = .warning
        return try EventLog.open(at: folder, configuration: configuration)
    }
}

/// Writing to the terminal.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("defter: error: \(message)\n".utf8))
    }

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func json(_ value: JSONValue) {
        line(value.canonicalString)
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
