import Crypto
public import DefterLog
public import Foundation

/// A C2SP `tlog-witness`: for each log it is configured with, it keeps the newest checkpoint it
/// cosigned, and cosigns a new one only when it is signed by the log and provably an extension
/// of that one (an RFC 6962 consistency proof). A log that rewrote its history cannot get its
/// new checkpoint cosigned, so readers who require cosignatures cannot be shown the rewrite.
///
/// Its state is one LMDB store (`KeyValueStore`): per origin, the size and root of the newest
/// cosigned checkpoint. Checking the old size and recording the new checkpoint happen in one
/// write transaction, so two racing requests cannot roll the record back, and the record is on
/// disk before the cosignature is returned.
public final class Witness: Sendable {
    /// The answer to one request.
    public typealias Response = SubmissionAnswer

    let store: KeyValueStore
    let cosigner: Cosigner
    let logs: [String: CheckpointVerifierKey]
    let clock: @Sendable () -> Date

    /// A witness signing with `cosigner`, trusting each log's key in `logs` (by origin), keeping
    /// its state in `folder`.
    public init(folder: URL, cosigner: Cosigner, logs: [CheckpointVerifierKey], clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.store = try KeyValueStore.open(at: folder, databases: ["logs"])
        self.cosigner = cosigner
        self.logs = Dictionary(logs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.clock = clock
    }

    /// Closes the state store.
    public func close() { store.close() }

    /// The size of the newest checkpoint cosigned for `origin`, 0 when none.
    public func cosignedSize(of origin: String) throws -> UInt64 {
        try store.read { try $0.get("logs", Array(origin.utf8)) }.flatMap(Self.record)?.size ?? 0
    }

    /// `POST /add-checkpoint`: the body is `old <size>`, the consistency proof lines, an empty
    /// line and the checkpoint note.
    public func addCheckpoint(_ request: [UInt8]) -> Response {
        do {
            return try add(request)
        } catch let refusal as SubmissionRefusal {
            return Response(refusal)
        } catch {
            return Response(status: 500, body: "the witness failed: \(error)\n")
        }
    }

    private func add(_ request: [UInt8]) throws -> Response {
        let submission = try CheckpointSubmission(request, logs: logs)
        let time = UInt64(max(1, clock().timeIntervalSince1970.rounded(.down)))
        return try store.write { writer in
            let origin = Array(submission.origin.utf8)
            let stored = try writer.get("logs", origin).flatMap(Self.record)
            try submission.checkExtends(heldSize: stored?.size ?? 0, heldRoot: stored?.root, holder: "this witness cosigned")
            let cosignature = try cosigner.cosign(body: submission.body, time: time)
            // The checkpoint as the log signed it and as cosigned: what monitors read back.
            let record: JSONValue = [
                "size": .integer(Int64(submission.size)), "root": .string(Data(submission.root).base64EncodedString()),
                "time": .integer(Int64(time)), "note": .string(submission.logSignedNote + cosignature),
            ]
            try writer.put("logs", origin, record.canonicalBytes)
            return Response(status: 200, body: cosignature)
        }
    }

    /// `GET /<origin hash>/checkpoint` (the witness's monitoring prefix): the newest checkpoint
    /// cosigned for the log whose origin's SHA-256 is `originHash` (lowercase hex), with the log's
    /// signature and this witness's cosignature, so that a monitor can compare what the log showed
    /// the witness with what it shows everyone else. 404 when the witness follows no such log, or
    /// has cosigned none of its checkpoints yet.
    public func cosignedCheckpoint(originHash: String) -> Response {
        guard let origin = logs.keys.first(where: { Hex.encode(SHA256.hash(data: Array($0.utf8))) == originHash }) else {
            return Response(
                status: 404, body: "this witness follows no log with that origin hash\n")
        }
        do {
            let value = try store.read { try $0.get("logs", Array(origin.utf8)) }.flatMap { try? JSONValue(parsing: $0) }
            guard let note = value?["note"]?.stringValue else {
                return Response(
                    status: 404, contentType: "text/plain; charset=utf-8",
                    body: "this witness has not cosigned a checkpoint of \(origin) yet (or did before it kept them)\n")
            }
            return Response(status: 200, body: note)
        } catch {
            return Response(status: 500, body: "the witness failed: \(error)\n")
        }
    }

    static func record(_ bytes: [UInt8]) -> (size: UInt64, root: [UInt8])? {
        guard let value = try? JSONValue(parsing: bytes), let size = value["size"]?.integerValue,
            let root = value["root"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { return nil }
        return (UInt64(size), Array(root))
    }
}
