import ArgumentParser
import DefterHTTP
import DefterLog
import DefterMirror
import DefterWitness
import Foundation
import Hummingbird
import Logging

/// `defter mirror serve`: the submission prefix of a C2SP tlog-mirror, taking pushes.
struct MirrorServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Take C2SP tlog-mirror pushes (POST /add-checkpoint, /add-entries): verify every entry, keep it, cosign the checkpoint.",
        discussion: """
            Each package of entries is checked with its subtree consistency proof against a checkpoint \
            signed by the log's key before it is appended. Serve the copy with `defter serve --read-only` \
            on the same --data.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The log's verifier key (its checkpoint.vkey text, or a file).")
    var vkey: String

    @Option(help: ArgumentHelp("This mirror's cosigner key file (`defter witness keygen`).", valueName: "file"))
    var cosignKey: String

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 8155

    func run() async throws {
        let cosigner = try loadCosigner(cosignKey, option: "--cosign-key")
        let log = try openMirrorLog(in: dataFolder.folder, of: vkey)
        defer { log.close() }
        let mirror = try PushMirror(log: log, cosigner: cosigner)
        var logger = Logger(label: "defter.mirror")
        logger.logLevel = .info
        let held = try log.size()
        logger.notice("mirroring", metadata: ["name": "\(cosigner.verifierKey.name)", "log": "\(log.origin)", "entries": "\(held)"])
        let app = Application(
            router: MirrorHTTP.router(for: mirror),
            configuration: .init(address: .hostname(host, port: port), serverName: "defter-mirror"),
            logger: logger)
        do { try await app.runService() } catch {
            await mirror.close()
            throw error
        }
        // Entries accepted and not yet committed are committed before the log closes.
        await mirror.close()
    }
}

/// `defter mirror push`: the client side of a C2SP tlog-mirror.
struct MirrorPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push this log's newest checkpoint and the entries it covers to C2SP tlog-mirrors, and keep their cosignatures.",
        discussion: """
            Reads the log in --data (it may be served meanwhile). Each mirror's cosignature is checked \
            with its key and kept beside the log (data/witnesses). With --once, exits 1 when a mirror \
            refused; otherwise says why on stderr and tries again at the next round.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp(
            "A mirror, as URL=VKEY: its submission prefix and its cosigner key (text or file); repeat for several.", valueName: "url=vkey"))
    var mirrors: [String] = []

    @Flag(help: "Push once and exit, instead of every --interval.")
    var once = false

    @Option(help: "Seconds between pushes.")
    var interval: Double = 10

    func run() async throws {
        let endpoints = try witnessEndpoints(mirrors, option: "--to")
        guard !endpoints.isEmpty else { throw CLIFailure("name at least one mirror: --to URL=VKEY", exitCode: CLIFailure.badInput) }
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        let witnesses = log.folder.appendingPathComponent("witnesses")
        var pushed: [String: UInt64] = [:]
        while true {
            var refused = false
            if let checkpoint = try log.newestCheckpoint() {
                for endpoint in endpoints where pushed[endpoint.key.name] != checkpoint.checkpoint.treeSize {
                    do {
                        let line = try await MirrorPusher(log: log, mirror: endpoint).push(checkpoint)
                        try WitnessClient.keep([line], treeSize: checkpoint.checkpoint.treeSize, at: witnesses)
                        pushed[endpoint.key.name] = checkpoint.checkpoint.treeSize
                        print("\(endpoint.key.name) holds \(log.origin) up to \(checkpoint.checkpoint.treeSize) entries, cosigned")
                    } catch {
                        refused = true
                        FileHandle.standardError.write(Data("mirror push: \(error)\n".utf8))
                    }
                }
            } else {
                FileHandle.standardError.write(Data("mirror push: the log has no checkpoint yet; `defter log checkpoint` signs one\n".utf8))
            }
            if once {
                if refused { throw CLIFailure("a mirror did not take the log; see above", exitCode: CLIFailure.problemFound) }
                return
            }
            try await Task.sleep(for: .seconds(interval))
        }
    }
}
