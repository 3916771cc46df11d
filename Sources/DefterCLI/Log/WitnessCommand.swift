import ArgumentParser
import DefterHTTP
import DefterLog
import DefterWitness
import Foundation
import Hummingbird
import Logging

/// `defter witness`: run a C2SP tlog-witness for other logs, or make its key.
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "A C2SP tlog-witness: cosign the checkpoints of the logs it follows, refusing any rewritten history.",
        subcommands: [WitnessKeygenCommand.self, WitnessServeCommand.self]
    )
}

struct WitnessKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a witness's Ed25519 cosigning key: writes the private key (mode 0600), prints the verifier key to give to logs."
    )

    @Option(help: "The witness's name, a schema-less URL such as witness.example.org/w1.")
    var name: String

    @Option(help: "Where to write the private key (must not exist).")
    var out: String

    func validate() throws {
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "+" }) else {
            throw ValidationError("--name must be non-empty without spaces or '+', e.g. witness.example.org/w1")
        }
    }

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: out) else {
            throw CLIFailure(
                "\(out) already exists; a witness keeps its key for life, so choose another file", exitCode: CLIFailure.badInput)
        }
        let cosigner = Cosigner(name: name)
        guard FileManager.default.createFile(atPath: out, contents: Data(cosigner.fileText.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CLIFailure("cannot write \(out)", exitCode: CLIFailure.problemFound) }
        print(cosigner.verifierKey.vkey)
    }
}

struct WitnessServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve POST /add-checkpoint (C2SP tlog-witness) until SIGINT or SIGTERM.",
        discussion: "The witness keeps, per log, the newest checkpoint it cosigned, in LMDB under --data."
    )

    @Option(help: "The witness's private key file (defter witness keygen).")
    var key: String

    @Option(
        help: ArgumentHelp(
            "A log to follow, as ORIGIN=VKEY (the log's checkpoint.vkey text, or a file holding it); repeat for several.",
            valueName: "origin=vkey"))
    var log: [String] = []

    @Option(help: "The folder of the witness's state (created when missing).")
    var data: String = "witness-data"

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 8154

    func run() async throws {
        let cosigner = try loadCosigner(key, option: "--key")
        guard !log.isEmpty else { throw CLIFailure("name at least one log to follow: --log ORIGIN=VKEY", exitCode: CLIFailure.badInput) }
        var keys: [CheckpointVerifierKey] = []
        for entry in log {
            guard let equals = entry.firstIndex(of: "=") else {
                throw CLIFailure("--log \(entry) is not ORIGIN=VKEY", exitCode: CLIFailure.badInput)
            }
            let origin = String(entry[..<equals])
            let text = keyText(String(entry[entry.index(after: equals)...]))
            let vkey: CheckpointVerifierKey
            do { vkey = try CheckpointVerifierKey(vkey: text) } catch {
                throw CLIFailure("--log \(origin): \(error)", exitCode: CLIFailure.badInput)
            }
            guard vkey.name == origin else {
                throw CLIFailure("--log \(origin): the key is the log '\(vkey.name)''s, not '\(origin)''s", exitCode: CLIFailure.badInput)
            }
            keys.append(vkey)
        }
        let witness = try Witness(folder: URL(fileURLWithPath: data), cosigner: cosigner, logs: keys)
        defer { witness.close() }
        var logger = Logger(label: "defter.witness")
        logger.logLevel = .info
        logger.notice(
            "witnessing", metadata: ["name": "\(cosigner.verifierKey.name)", "logs": "\(keys.map(\.name).joined(separator: ","))"])
        let app = Application(
            router: WitnessHTTP.router(for: witness),
            configuration: .init(address: .hostname(host, port: port), serverName: "defter-witness"),
            logger: logger)
        try await app.runService()
    }
}

/// A key given on the command line as its text or as a file holding it: the file's text when
/// such a file exists.
/// The cosigner keys given as `--witness` (each the key's text or a file holding it); a bad one
/// is refused naming it.
func cosignerKeys(_ texts: [String]) throws -> [CosignerVerifierKey] {
    try texts.map { text in
        do { return try CosignerVerifierKey(vkey: keyText(text).trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
            throw CLIFailure("--witness \(text.prefix(100)): \(error)", exitCode: CLIFailure.badInput)
        }
    }
}

/// The cosigners to ask (witnesses, or mirrors with `option` `--to`), from `URL=VKEY` options.
func witnessEndpoints(_ texts: [String], option: String = "--witness") throws -> [WitnessClient.Endpoint] {
    do { return try texts.map { try WitnessClient.Endpoint(parsing: $0) } } catch {
        throw CLIFailure("\(option) \(error)", exitCode: CLIFailure.badInput)
    }
}

func keyText(_ textOrFile: String) -> String {
    guard FileManager.default.fileExists(atPath: textOrFile) else { return textOrFile }
    return (try? String(contentsOfFile: textOrFile, encoding: .utf8)) ?? textOrFile
}
