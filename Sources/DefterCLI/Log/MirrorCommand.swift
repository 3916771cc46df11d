import ArgumentParser
import DefterLog
import DefterMirror
import DefterWitness
import Foundation

/// `defter mirror`: follow a primary's published tiles into a verified copy, or promote that copy.
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract:
            "A verifying mirror of a Defter log: following its C2SP tiles, or taking C2SP tlog-mirror pushes; and its promotion to primary.",
        subcommands: [MirrorFollowCommand.self, MirrorServeCommand.self, MirrorPushCommand.self, MirrorPromoteCommand.self],
        defaultSubcommand: MirrorFollowCommand.self
    )
}

struct MirrorFollowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow a primary's tiles: verify each checkpoint and every new entry, and append them byte for byte.",
        discussion: """
            Exits 1 and says FORK, naming both checkpoints, when the primary's history is not the one \
            the mirror verified; the mirror keeps its log as it was. Serve the mirror with \
            `defter serve --read-only`.
            """
    )

    @Option(help: "The primary's tile prefix: a `defter log publish` folder as served, a `defter serve` address, or the folder itself.")
    var from: String

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The primary's verifier key (its checkpoint.vkey text, or a file): pin the published one.")
    var vkey: String

    @Flag(help: "Follow once and exit, instead of every --interval.")
    var once = false

    @Option(help: "Seconds between rounds.")
    var interval: Double = 10

    @Option(
        name: .customLong("witness"),
        help: ArgumentHelp(
            "A witness whose cosignature a checkpoint must carry before it is mirrored: its cosigner key (text or file); repeat for each.",
            valueName: "vkey"))
    var witnesses: [String] = []

    @Option(help: ArgumentHelp("With --witness: how many of them must have cosigned (default: all).", valueName: "n"))
    var witnessQuorum: Int?

    @Option(
        help: ArgumentHelp(
            "This mirror's own cosigner key file (`defter witness keygen`): each checkpoint it has copied is cosigned with it (C2SP tlog-mirror) and shown at its /checkpoint.",
            valueName: "file"))
    var cosignKey: String?

    func run() async throws {
        let source: any TileSource
        if let address = URL(string: from), ["http", "https"].contains(address.scheme ?? "") {
            source = HTTPTileSource(prefix: address)
        } else {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: from, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIFailure(
                    "--from must be an http or https address, or a folder written by `defter log publish`; \(from) is neither",
                    exitCode: CLIFailure.badInput)
            }
            source = FolderTileSource(folder: URL(fileURLWithPath: from))
        }
        let log = try openMirrorLog(in: dataFolder.folder, of: vkey)
        defer { log.close() }
        let cosigners = try cosignerKeys(witnesses)
        let quorum = witnessQuorum ?? cosigners.count
        guard (0...cosigners.count).contains(quorum) else {
            throw CLIFailure(
                "--witness-quorum must be 0 to the number of --witness keys (\(cosigners.count))", exitCode: CLIFailure.badInput)
        }
        let mirror = Mirror(
            log: log, source: source, witnesses: cosigners, quorum: quorum,
            cosigner: try cosignKey.map { try loadCosigner($0, option: "--cosign-key") })
        while true {
            do {
                let report = try await mirror.follow()
                print("mirrored \(log.origin) from \(from): \(report.fromSize) -> \(report.toSize) entries, verified")
            } catch let error as Mirror.MirrorError {
                if case .fork = error { throw CLIFailure("\(error)", exitCode: CLIFailure.problemFound) }
                if once { throw CLIFailure("\(error)", exitCode: CLIFailure.problemFound) }
                FileHandle.standardError.write(Data("mirror: \(error); trying again in \(interval) s\n".utf8))
            }
            if once { return }
            try await Task.sleep(for: .seconds(interval))
        }
    }
}

/// Opens (or makes) the mirror's log in `folder`, a copy of the log whose verifier key is `vkey`
/// (its text, or a file holding it); refuses a folder that holds another log.
func openMirrorLog(in folder: URL, of vkey: String) throws -> EventLog {
    let key: CheckpointVerifierKey
    do { key = try CheckpointVerifierKey(vkey: keyText(vkey)) } catch {
        throw CLIFailure("--vkey: \(error)", exitCode: CLIFailure.badInput)
    }
    var configuration = LogConfiguration()
    configuration.mirrorOf = key
    configuration.logger.logLevel = .warning
    let log = try EventLog.open(at: folder, configuration: configuration)
    guard log.verifierKey == key else {
        log.close()
        throw CLIFailure(
            "\(folder.path) holds the log '\(log.origin)', not a mirror of '\(key.name)'; use another folder", exitCode: CLIFailure.badInput
        )
    }
    return log
}

/// The cosigner key in the file at `path` (`defter witness keygen`), given as `option`.
func loadCosigner(_ path: String, option: String) throws -> Cosigner {
    do {
        return try Cosigner(fileText: try String(contentsOfFile: path, encoding: .utf8))
    } catch let error as WitnessKeyError {
        throw CLIFailure("\(option) \(path): \(error)", exitCode: CLIFailure.badInput)
    } catch {
        throw CLIFailure("\(option): cannot read \(path): \(error.localizedDescription)", exitCode: CLIFailure.badInput)
    }
}

struct MirrorPromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make a mirror the primary after the primary is lost: give it the log's signing key.",
        discussion: """
            The mirror holds everything up to the last checkpoint it verified; calls the old primary \
            acknowledged after its last published checkpoint are lost (see docs/operations.md). \
            After this, `defter serve` on the folder takes calls and signs checkpoints that extend the \
            old ones.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The log's signing key file (checkpoint.key from the primary's key backup).")
    var key: String

    func run() async throws {
        let text: String
        do { text = try String(contentsOfFile: key, encoding: .utf8) } catch {
            throw CLIFailure("cannot read \(key): \(error.localizedDescription)", exitCode: CLIFailure.badInput)
        }
        do { try EventLog.installSigningKey(text, in: dataFolder.folder) } catch let error as CheckpointError {
            throw CLIFailure("\(error)", exitCode: CLIFailure.badInput)
        }
        let log = try dataFolder.open()
        defer { log.close() }
        print("\(dataFolder.folder.path) is now the primary of \(log.origin) at \(try log.size()) entries; start `defter serve` on it")
    }
}
