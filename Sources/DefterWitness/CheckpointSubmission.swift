import Crypto
public import DefterLog
import Foundation

/// A C2SP `tlog-witness` `add-checkpoint` request, read and its log signature checked: what a
/// witness cosigns and what a `tlog-mirror` takes as its pending checkpoint. The body is
/// `old <size>`, the consistency proof lines, an empty line and the checkpoint note.
public struct CheckpointSubmission: Sendable {
    /// The size of the checkpoint the sender believes the receiver holds.
    public let oldSize: UInt64
    /// The consistency proof from that size to `size`.
    public let proof: [[UInt8]]
    /// The checkpoint's note body (origin, size, root and extension lines, each ending in a newline).
    public let body: String
    /// The log's origin, the body's first line.
    public let origin: String
    /// The checkpoint's tree size.
    public let size: UInt64
    /// The checkpoint's root hash.
    public let root: [UInt8]
    /// The note as the log signed it: the body and the log key's (first) signature line only.
    public let logSignedNote: String

    /// Reads `request` and checks its signature with the key of its origin among `logs`; throws a
    /// `SubmissionRefusal` with the spec's status code for what is wrong.
    public init(_ request: [UInt8], logs: [String: CheckpointVerifierKey]) throws(SubmissionRefusal) {
        guard let text = String(validating: request, as: UTF8.self) else { throw SubmissionRefusal(400, "the body is not UTF-8") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("old "), let oldSize = UInt64(first.dropFirst(4)),
            String(oldSize) == first.dropFirst(4)
        else { throw SubmissionRefusal(400, "the body must start with 'old <size>' (decimal, no leading zeros)") }
        var proof: [[UInt8]] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            guard let hash = Data(base64Encoded: String(lines[index])), hash.count == 32 else {
                throw SubmissionRefusal(400, "consistency proof line \(index) is not a base64 SHA-256 hash")
            }
            proof.append(Array(hash))
            index += 1
        }
        guard proof.count <= 63 else { throw SubmissionRefusal(400, "more than 63 consistency proof lines") }
        guard index < lines.count else { throw SubmissionRefusal(400, "no empty line before the checkpoint") }
        let note = lines[(index + 1)...].joined(separator: "\n")
        guard let separator = note.range(of: "\n\n") else { throw SubmissionRefusal(400, "the checkpoint has no signature lines") }
        let body = String(note[..<separator.lowerBound]) + "\n"
        let signatureLines = note[separator.upperBound...].split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let bodyLines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard bodyLines.count >= 4, let size = UInt64(bodyLines[1]), String(size) == bodyLines[1],
            let root = Data(base64Encoded: String(bodyLines[2])), root.count == 32
        else { throw SubmissionRefusal(400, "the checkpoint's body is not origin, size and base64 root") }
        let origin = String(bodyLines[0])
        guard let key = logs[origin] else { throw SubmissionRefusal(404, "this server does not follow the log '\(origin.prefix(200))'") }
        // Only the trusted key's signatures count; one of them must be there, and verify.
        let keyed = signatureLines.filter { line in
            NoteSignature(line: line).map { $0.name == key.name && $0.keyID == key.keyID } ?? false
        }
        guard !keyed.isEmpty else { throw SubmissionRefusal(403, "the checkpoint carries no signature by the log's key \(key.name)") }
        let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKeyBytes)
        for line in keyed {
            let blob = NoteSignature(line: line)?.blob ?? []
            guard publicKey?.isValidSignature(Array(blob.dropFirst(4)), for: Array(body.utf8)) == true else {
                throw SubmissionRefusal(403, "the log's signature on the checkpoint does not verify")
            }
        }
        guard oldSize <= size else { throw SubmissionRefusal(400, "old size \(oldSize) is larger than the checkpoint's \(size)") }
        if size == 0, root != Data(MerkleHash.emptyTree.bytes) {
            throw SubmissionRefusal(422, "a checkpoint of size 0 must have the empty tree's root")
        }
        self.oldSize = oldSize
        self.proof = proof
        self.body = body
        self.origin = origin
        self.size = size
        self.root = Array(root)
        self.logSignedNote = body + "\n" + keyed[0] + "\n"
    }

    /// Checks that this checkpoint extends the one of `heldSize` leaves with root `heldRoot` that
    /// the receiver holds (`nil` root when it holds none): `oldSize` must be `heldSize` (409 with
    /// `text/x.tlog.size` otherwise, so that the sender can start again from it), and the proof
    /// must show consistency (422: a rewritten history).
    public func checkExtends(heldSize: UInt64, heldRoot: [UInt8]?, holder: String) throws(SubmissionRefusal) {
        guard oldSize == heldSize else { throw SubmissionRefusal(409, String(heldSize), contentType: "text/x.tlog.size") }
        guard oldSize > 0, let heldRoot else {
            guard proof.isEmpty else { throw SubmissionRefusal(422, "old size 0 needs an empty consistency proof") }
            return
        }
        do {
            try MerkleProof.verifyConsistency(oldSize: oldSize, newSize: size, oldRoot: heldRoot, newRoot: root, proof: proof)
        } catch {
            throw SubmissionRefusal(
                422, "the checkpoint of size \(size) is not consistent with the one of size \(oldSize) \(holder): \(error)")
        }
    }
}

/// An `add-checkpoint` (or `add-entries`) request refused: the HTTP status the C2SP spec gives
/// for it, and what was wrong.
public struct SubmissionRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String
    public let contentType: String

    public init(_ status: Int, _ message: String, contentType: String = "text/plain; charset=utf-8") {
        self.status = status
        self.message = message
        self.contentType = contentType
    }

    public var description: String { "\(status): \(message)" }
}

/// The answer to a submission, a witness's or a mirror's: an HTTP status, a content type and a body.
public struct SubmissionAnswer: Sendable, Equatable {
    public let status: Int
    public let contentType: String
    public let body: String

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// The answer to a refused request: its status, and its message as the body.
    public init(_ refusal: SubmissionRefusal) {
        self.init(status: refusal.status, contentType: refusal.contentType, body: refusal.message + "\n")
    }
}
