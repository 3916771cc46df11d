import ArgumentParser
import DefterLog
import Foundation

/// `defter log …`: append to, read, verify and prove the event log.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Append to, read, verify, checkpoint and prove the append-only event log.",
        subcommands: [
            AppendCommand.self, ReadCommand.self, VerifyCommand.self, CheckpointCommand.self, ProveCommand.self,
            ConsistencyCommand.self, BackupCommand.self, ExportCommand.self, ImportCommand.self, PublishCommand.self,
        ]
    )
}

struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append NDJSON events from standard input, one JSON object a line.",
        discussion: """
            Each line: {"stream": "...", "type": "...", "data": {...}, "id"?: "...", "expectedVersion"?: n, "actor"?: "..."}.
            Lines are appended in batches of --batch lines; each batch is atomic and durable. A bad line
            stops the command with its line number, and nothing of its batch is written.
            Prints {"appended": n, "first": seq, "last": seq}.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "Lines per atomic batch.")
    var batch: Int = 1000

    @Option(help: "The actor recorded for lines that name none.")
    var actor: String = "cli"

    @Flag(help: .hidden)
    var echoCommits = false

    func validate() throws {
        guard batch >= 1, batch <= 100_000 else { throw ValidationError("--batch must be between 1 and 100000") }
    }

    func run() async throws {
        let log = try dataFolder.open(create: true)
        defer { log.close() }
        let session = AppendSession(log: log, echoCommits: echoCommits)
        var reader = LineReader(descriptor: 0)
        while let line = try reader.next() {
            session.lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                if session.pending.isEmpty { session.pendingFirstLine = session.lineNumber + 1 }
                continue
            }
            do {
                session.pending.append(try AppendLine.decode(line, line: session.lineNumber, defaultActor: actor))
            } catch {
                throw CLIFailure(
                    error.description + "; nothing of its batch was written" + session.writtenSoFar, exitCode: CLIFailure.badInput)
            }
            if session.pending.count >= batch { try await session.flush() }
        }
        try await session.flush()
        Terminal.json([
            "appended": .integer(Int64(session.appended)), "first": session.first.map { .integer(Int64($0)) } ?? .null,
            "last": session.last.map { .integer(Int64($0)) } ?? .null,
        ])
    }
}

/// The state of one `log append` run: the batch being gathered and what was written so far.
private final class AppendSession {
    let log: EventLog
    let echoCommits: Bool
    var lineNumber = 0
    var pending: [NewEvent] = []
    var pendingFirstLine = 1
    var appended = 0
    var first: UInt64?
    var last: UInt64?

    init(log: EventLog, echoCommits: Bool) {
        self.log = log
        self.echoCommits = echoCommits
    }

    /// What earlier batches wrote, for error messages.
    var writtenSoFar: String {
        guard appended > 0, let first, let last else { return "" }
        return " (earlier batches were written: \(appended) events, sequences \(first)-\(last))"
    }

    /// Appends the gathered batch atomically.
    func flush() async throws {
        guard !pending.isEmpty else { return }
        let result: AppendResult
        do {
            result = try await log.append(pending)
        } catch let error as AppendError {
            let message: String
            if case .invalidEvent(let index, let reason) = error {
                message = "line \(pendingFirstLine + index): \(reason); nothing of its batch was written"
            } else {
                message = "the batch of lines \(pendingFirstLine)-\(lineNumber) was refused, nothing of it was written: \(error)"
            }
            throw CLIFailure(message + writtenSoFar, exitCode: CLIFailure.badInput)
        }
        appended += result.appendedCount
        first = Swift.min(first ?? result.first, result.first)
        last = Swift.max(last ?? result.last, result.last)
        if echoCommits {
            Terminal.json(["committed": .integer(Int64(result.last)), "lines": .integer(Int64(lineNumber))])
        }
        pending.removeAll(keepingCapacity: true)
        pendingFirstLine = lineNumber + 1
    }
}

struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Print entries as NDJSON, each line exactly the stored entry bytes (which carry their seq)."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The first sequence to print.")
    var from: UInt64 = 1

    @Option(help: "The most entries to print.")
    var limit: Int?

    @Option(help: "Print only this stream's events, in stream order.")
    var stream: String?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func run() async throws {
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        var remaining = limit ?? Int.max
        let out = FileHandle.standardOutput
        if let stream {
            let id: StreamID
            do { id = try StreamID(stream) } catch { throw CLIFailure(error.reason, exitCode: CLIFailure.badInput) }
            var version: UInt64 = 1
            while remaining > 0 {
                let entries = try log.entries(inStream: id, fromVersion: version, limit: Swift.min(remaining, 1000))
                guard let lastEntry = entries.last else { break }
                var chunk = Data()
                for entry in entries where entry.sequence >= from {
                    chunk.append(contentsOf: entry.bytes)
                    chunk.append(0x0a)
                    remaining -= 1
                }
                out.write(chunk)
                version = lastEntry.streamVersion + 1
            }
            return
        }
        var next = from
        while remaining > 0 {
            let entries = try log.entries(from: next, limit: Swift.min(remaining, 1000))
            guard let lastEntry = entries.last else { break }
            var chunk = Data()
            for entry in entries {
                chunk.append(contentsOf: entry.bytes)
                chunk.append(0x0a)
            }
            out.write(chunk)
            remaining -= entries.count
            next = lastEntry.sequence + 1
        }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every leaf and the root, check the indexes and every stored checkpoint.",
        discussion: "Exits 1 naming the first bad sequence when anything is wrong."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        let bar = Terminal.stderrIsTerminal ? ProgressBar(label: "verifying") : nil
        let report = try log.verify { done, total in bar?.update(done: done, total: total) }
        bar?.finish()
        if json {
            var object: [String: JSONValue] = ["ok": .bool(report.ok), "size": .integer(Int64(report.size))]
            if report.ok {
                object["root"] = .string(report.root?.hex ?? "")
                object["checkpoints"] = .integer(Int64(report.checkpointsVerified))
            } else {
                object["firstBadSeq"] = report.firstBadSequence.map { .integer(Int64($0)) } ?? .null
                object["reason"] = .string(report.reason ?? "")
            }
            Terminal.json(.object(object))
        } else if report.ok {
            Terminal.line(
                "ok: \(report.size) entries, root \(report.root?.hex ?? ""), \(report.checkpointsVerified) checkpoint(s) verified")
        } else {
            let at = report.firstBadSequence.map { " (first bad sequence: \($0))" } ?? ""
            Terminal.line("FAILED\(at): \(report.reason ?? "")")
        }
        if !report.ok { throw ExitCode(CLIFailure.problemFound) }
    }
}

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign and store a checkpoint of the current tree (a C2SP tlog-checkpoint signed note)."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Flag(help: "Print one JSON object instead of the signed note.")
    var json = false

    func run() async throws {
        let log = try dataFolder.open()
        defer { log.close() }
        let signed = try await log.checkpoint()
        if json {
            Terminal.json([
                "origin": .string(signed.checkpoint.origin), "treeSize": .integer(Int64(signed.checkpoint.treeSize)),
                "root": .string(signed.checkpoint.root.hex), "timestamp": .string(signed.checkpoint.timestamp.description),
                "note": .string(signed.text),
            ])
        } else {
            FileHandle.standardOutput.write(Data(signed.text.utf8))
        }
    }
}

struct ProveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print the inclusion proof of one entry (RFC 9162 audit path).",
        discussion: "leafIndex is 0-based: the entry with seq S is leaf S-1."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The entry's sequence.")
    var seq: UInt64

    @Option(help: "The tree size to prove against (default: the whole log).")
    var size: UInt64?

    @Flag(help: "Print JSON (the default format).")
    var json = false

    @Option(
        help: ArgumentHelp(
            "json, or tlog-proof: a self-contained C2SP tlog-proof (the entry, its inclusion path and the signed checkpoint) that anyone can check offline.",
            valueName: "format"))
    var format: String = "json"

    func validate() throws {
        guard ["json", "tlog-proof"].contains(format) else { throw ValidationError("--format must be json or tlog-proof") }
        if format == "tlog-proof", size != nil {
            throw ValidationError("--format tlog-proof proves against a signed checkpoint: leave out --size")
        }
    }

    func run() async throws {
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        if format == "tlog-proof" {
            guard let checkpoint = try log.newestCheckpoint(where: { $0.checkpoint.treeSize >= seq }) else {
                throw CLIFailure(
                    "no signed checkpoint covers entry \(seq) yet; sign one with `defter log checkpoint`, then prove",
                    exitCode: CLIFailure.badInput)
            }
            guard let entry = try log.entry(at: seq) else {
                throw CLIFailure("the log has no entry \(seq)", exitCode: CLIFailure.badInput)
            }
            let proof = try log.inclusionProof(sequence: seq, treeSize: checkpoint.checkpoint.treeSize)
            FileHandle.standardOutput.write(Data(TlogProof.text(entry: entry.bytes, proof: proof, checkpoint: checkpoint).utf8))
            return
        }
        let proof = try log.inclusionProof(sequence: seq, treeSize: size)
        Terminal.json([
            "seq": .integer(Int64(proof.sequence)), "leafIndex": .integer(Int64(proof.sequence - 1)),
            "treeSize": .integer(Int64(proof.treeSize)), "leafHash": .string(proof.leafHash.hex),
            "root": .string(proof.root.hex), "proof": .array(proof.path.map { .string($0.hex) }),
        ])
    }
}

struct ConsistencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Print the consistency proof between two tree sizes (RFC 9162)."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The older tree size.")
    var from: UInt64

    @Option(help: "The newer tree size (default: the whole log).")
    var to: UInt64?

    @Flag(help: "Print JSON (the only format).")
    var json = false

    func run() async throws {
        let log = try dataFolder.open(readOnly: true)
        defer { log.close() }
        let proof = try log.consistencyProof(from: from, to: to)
        Terminal.json([
            "from": .integer(Int64(proof.oldSize)), "to": .integer(Int64(proof.newSize)),
            "fromRoot": .string(proof.oldRoot.hex), "toRoot": .string(proof.newRoot.hex),
            "proof": .array(proof.path.map { .string($0.hex) }),
        ])
    }
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a hot, compacted copy of the log to DEST and verify the copy.",
        discussion: "The private signing key is not copied; keep it backed up separately."
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Argument(help: "A new or empty folder.")
    var destination: String

    func run() async throws {
        let log = try dataFolder.open()
        defer { log.close() }
        let report = try log.backup(to: URL(fileURLWithPath: destination))
        if report.ok {
            Terminal.json([
                "ok": true, "destination": .string(destination), "size": .integer(Int64(report.size)),
                "root": .string(report.root?.hex ?? ""),
            ])
        } else {
            Terminal.json([
                "ok": false, "destination": .string(destination), "reason": .string(report.reason ?? ""),
            ])
            throw ExitCode(CLIFailure.problemFound)
        }
    }
}
