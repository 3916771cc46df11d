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
    /// The answer to one request: an HTTP status, a content type and a body.
    public struct Response: Sendable, Equatable {
        public let status: Int
        public let contentType: String
        public let body: String
    }

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
        } catch let failure as Failure {
            return Response(status: failure.status, contentType: failure.contentType, body: failure.message + "\n")
        } catch {
            return Response(status: 500, contentType: "text/plain; charset=utf-8", body: "the witness failed: \(error)\n")
        }
    }

    private struct Failure: Error {
        let status: Int
        let message: String
        var contentType = "text/plain; charset=utf-8"
    }

    private func add(_ request: [UInt8]) throws -> Response {
        guard let text = String(validating: request, as: UTF8.self) else { throw Failure(status: 400, message: "the body is not UTF-8") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("old "), let oldSize = UInt64(first.dropFirst(4)),
            String(oldSize) == first.dropFirst(4)
        else { throw Failure(status: 400, message: "the body must start with 'old <size>' (decimal, no leading zeros)") }
        var proof: [[UInt8]] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            guard let hash = Data(base64Encoded: String(lines[index])), hash.count == 32 else {
                throw Failure(status: 400, message: "consistency proof line \(index) is not a base64 SHA-256 hash")
            }
            proof.append(Array(hash))
            index += 1
        }
        guard proof.count <= 63 else { throw Failure(status: 400, message: "more than 63 consistency proof lines") }
        guard index < lines.count else { throw Failure(status: 400, message: "no empty line before the checkpoint") }
        let note = lines[(index + 1)...].joined(separator: "\n")
        let (body, signatures) = try Self.split(note)
        let bodyLines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard bodyLines.count >= 4, let size = UInt64(bodyLines[1]), String(size) == bodyLines[1],
            let root = Data(base64Encoded: String(bodyLines[2])), root.count == 32
        else { throw Failure(status: 400, message: "the checkpoint's body is not origin, size and base64 root") }
        let origin = String(bodyLines[0])
        guard let key = logs[origin] else {
            throw Failure(status: 404, message: "this witness does not follow the log '\(origin.prefix(200))'")
        }
        // Only the trusted key's signatures count; one of them must be there, and verify.
        let keyed = signatures.filter { $0.name == key.name && $0.keyID == key.keyID }
        guard !keyed.isEmpty else {
            throw Failure(status: 403, message: "the checkpoint carries no signature by the log's key \(key.name)")
        }
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: key.publicKeyBytes)
        for signature in keyed where !publicKey.isValidSignature(Array(signature.blob.dropFirst(4)), for: Array(body.utf8)) {
            throw Failure(status: 403, message: "the log's signature on the checkpoint does not verify")
        }
        guard oldSize <= size else { throw Failure(status: 400, message: "old size \(oldSize) is larger than the checkpoint's \(size)") }
        if size == 0, root != Data(MerkleHash.emptyTree.bytes) {
            throw Failure(status: 422, message: "a checkpoint of size 0 must have the empty tree's root")
        }
        let time = UInt64(max(1, clock().timeIntervalSince1970.rounded(.down)))
        return try store.write { writer in
            let stored = try writer.get("logs", Array(origin.utf8)).flatMap(Self.record)
            let storedSize = stored?.size ?? 0
            guard oldSize == storedSize else {
                throw Failure(status: 409, message: String(storedSize), contentType: "text/x.tlog.size")
            }
            if oldSize == 0 {
                guard proof.isEmpty else { throw Failure(status: 422, message: "old size 0 needs an empty consistency proof") }
            } else if let stored {
                do {
                    try MerkleProof.verifyConsistency(
                        oldSize: oldSize, newSize: size, oldRoot: stored.root, newRoot: Array(root), proof: proof)
                } catch {
                    throw Failure(
                        status: 422,
                        message:
                            "the checkpoint of size \(size) is not consistent with the one of size \(oldSize) this witness cosigned: \(error)"
                    )
                }
            }
            let record: JSONValue = [
                "size": .integer(Int64(size)), "root": .string(root.base64EncodedString()), "time": .integer(Int64(time)),
            ]
            try writer.put("logs", Array(origin.utf8), record.canonicalBytes)
            return Response(status: 200, contentType: "text/plain; charset=utf-8", body: try cosigner.cosign(body: body, time: time))
        }
    }

    /// A signed note as its body (with its final newline) and its signature lines.
    static func split(_ note: String) throws -> (body: String, signatures: [NoteSignature]) {
        guard let separator = note.range(of: "\n\n") else { throw Failure(status: 400, message: "the checkpoint has no signature lines") }
        let body = String(note[..<separator.lowerBound]) + "\n"
        let lines = note[separator.upperBound...].split(separator: "\n", omittingEmptySubsequences: true)
        return (body, lines.compactMap { NoteSignature(line: String($0)) })
    }

    static func record(_ bytes: [UInt8]) -> (size: UInt64, root: [UInt8])? {
        guard let value = try? JSONValue(parsing: bytes), let size = value["size"]?.integerValue,
            let root = value["root"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { return nil }
        return (UInt64(size), Array(root))
    }
}
