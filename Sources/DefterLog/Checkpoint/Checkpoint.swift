import Crypto
import Foundation

/// A tree head: the log's origin, its size and root at one moment. Its text form is the body of a
/// C2SP `tlog-checkpoint` signed note, with one extension line carrying the time it was taken:
///
///     <origin>\n<tree size>\n<base64 root>\ntime <RFC 3339 UTC>\n
public struct Checkpoint: Sendable, Hashable {
    /// The log's identity, unique per log (e.g. `defter.local/log-3f2a9c1e`).
    public let origin: String
    /// How many entries the tree covers.
    public let treeSize: UInt64
    /// The Merkle root of those entries.
    public let root: MerkleHash
    /// When the checkpoint was taken.
    public let timestamp: Timestamp

    /// Creates a tree head.
    public init(origin: String, treeSize: UInt64, root: MerkleHash, timestamp: Timestamp) {
        self.origin = origin
        self.treeSize = treeSize
        self.root = root
        self.timestamp = timestamp
    }

    /// The note body that is signed.
    public var body: String {
        "\(origin)\n\(treeSize)\n\(root.base64)\ntime \(timestamp)\n"
    }
}

/// A checkpoint with its Ed25519 signature, in the signed-note text form:
/// the body, an empty line, and `— <key name> <base64(4-byte key id || 64-byte signature)>`.
public struct SignedCheckpoint: Sendable, Hashable {
    /// The signed tree head.
    public let checkpoint: Checkpoint
    /// The name of the signing key (the log's origin).
    public let keyName: String
    /// The first four bytes of the key's hash, as the signed-note format defines.
    public let keyID: [UInt8]
    /// The Ed25519 signature over `checkpoint.body`.
    public let signature: [UInt8]

    /// The complete signed note, as stored and published.
    public var text: String {
        checkpoint.body + "\n\u{2014} \(keyName) \(Data(keyID + signature).base64EncodedString())\n"
    }

    init(checkpoint: Checkpoint, keyName: String, keyID: [UInt8], signature: [UInt8]) {
        self.checkpoint = checkpoint
        self.keyName = keyName
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses a signed note written by `text`. Throws `CheckpointError.malformed` with the reason.
    public init(parsing text: String) throws(CheckpointError) {
        guard let separator = text.range(of: "\n\n") else { throw .malformed("no empty line between body and signature") }
        let body = String(text[..<separator.lowerBound]) + "\n"
        let signatureText = String(text[separator.upperBound...])
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 4 else { throw .malformed("the body has \(lines.count) lines; expected origin, size, root and time") }
        guard !lines[0].isEmpty else { throw .malformed("the origin is empty") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw .malformed("the tree size '\(lines[1])' is not a decimal number")
        }
        guard let rootBytes = Data(base64Encoded: lines[2]), let root = MerkleHash(bytes: Array(rootBytes)) else {
            throw .malformed("the root '\(lines[2])' is not a base64 SHA-256 hash")
        }
        guard lines[3].hasPrefix("time "), let time = Timestamp(rfc3339: String(lines[3].dropFirst(5))) else {
            throw .malformed("the time line '\(lines[3])' is not 'time <RFC 3339 UTC>'")
        }
        let checkpoint = Checkpoint(origin: lines[0], treeSize: size, root: root, timestamp: time)
        guard checkpoint.body == body else { throw .malformed("the body is not in canonical form") }
        guard signatureText.hasPrefix("\u{2014} "), signatureText.hasSuffix("\n") else {
            throw .malformed("the signature line does not start with an em dash and a space")
        }
        let parts = signatureText.dropFirst(2).dropLast().split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let blob = Data(base64Encoded: String(parts[1])), blob.count == 68 else {
            throw .malformed("the signature line is not '— <name> <base64 of key id and signature>'")
        }
        self.init(
            checkpoint: checkpoint, keyName: String(parts[0]), keyID: Array(blob.prefix(4)),
            signature: Array(blob.dropFirst(4)))
    }

    /// Checks the signature with `key`.
    public func verify(with key: CheckpointVerifierKey) throws(CheckpointError) {
        guard keyName == key.name, keyID == key.keyID else {
            throw .wrongKey(
                "the checkpoint is signed by '\(keyName)' (key id \(Hex.encode(keyID))), not by the log's key '\(key.name)' (key id \(Hex.encode(key.keyID)))"
            )
        }
        guard key.publicKey.isValidSignature(signature, for: Array(checkpoint.body.utf8)) else {
            throw .badSignature("the signature of the checkpoint at size \(checkpoint.treeSize) does not verify")
        }
    }
}

/// Why a checkpoint or a key was refused.
public enum CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a checkpoint in the expected form.
    case malformed(String)
    /// The checkpoint names another key.
    case wrongKey(String)
    /// The signature is invalid.
    case badSignature(String)
    /// A key file is missing or unreadable.
    case key(String)

    public var description: String {
        switch self {
        case .malformed(let m): "malformed checkpoint: \(m)"
        case .wrongKey(let m), .badSignature(let m), .key(let m): m
        }
    }
}

/// The public half of the log's signing key, in the signed-note verifier-key form
/// `<name>+<hex key id>+<base64(0x01 || 32-byte Ed25519 public key)>`.
public struct CheckpointVerifierKey: Sendable, Hashable {
    /// The key's name (the log's origin).
    public let name: String
    /// The 32 raw Ed25519 public key bytes.
    public let publicKeyBytes: [UInt8]

    var publicKey: Curve25519.Signing.PublicKey {
        // The bytes were validated as a key when this value was made.
        try! Curve25519.Signing.PublicKey(rawRepresentation: publicKeyBytes)
    }

    init(name: String, publicKey: Curve25519.Signing.PublicKey) {
        self.name = name
        self.publicKeyBytes = Array(publicKey.rawRepresentation)
    }

    /// Parses the verifier-key text form.
    public init(vkey: String) throws(CheckpointError) {
        let parts = vkey.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let blob = Data(base64Encoded: String(parts[2])), blob.count == 33, blob.first == 0x01,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: blob.dropFirst())
        else { throw .key("'\(vkey)' is not an Ed25519 verifier key of the form name+keyid+base64") }
        self.init(name: String(parts[0]), publicKey: key)
        guard Hex.encode(keyID) == parts[1] else { throw .key("the key id in '\(vkey)' does not match its key") }
    }

    /// The 4-byte key id: the start of SHA-256(name || 0x0A || 0x01 || public key).
    public var keyID: [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0a, 0x01] + publicKeyBytes).prefix(4))
    }

    /// The verifier-key text form.
    public var vkey: String {
        "\(name)+\(Hex.encode(keyID))+\(Data([0x01] + publicKeyBytes).base64EncodedString())"
    }

}

/// The log's Ed25519 signing key, kept in the data folder as `checkpoint.key` (mode 0600) in the
/// signed-note private-key form `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.
struct CheckpointSigner: Sendable {
    private let seed: [UInt8]
    let verifierKey: CheckpointVerifierKey

    var privateKey: Curve25519.Signing.PrivateKey {
        // The seed was validated as a key when this value was made.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    init(name: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.seed = Array(privateKey.rawRepresentation)
        self.verifierKey = CheckpointVerifierKey(name: name, publicKey: privateKey.publicKey)
    }

    /// The private-key text form.
    var fileText: String {
        "PRIVATE+KEY+\(verifierKey.name)+\(Hex.encode(verifierKey.keyID))+\(Data([0x01] + Array(privateKey.rawRepresentation)).base64EncodedString())\n"
    }

    init(fileText text: String) throws(CheckpointError) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
            let blob = Data(base64Encoded: String(parts[4])), blob.count == 33, blob.first == 0x01,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: blob.dropFirst())
        else { throw .key("the signing key file is not a PRIVATE+KEY+name+id+key Ed25519 key") }
        self.init(name: String(parts[2]), privateKey: key)
        guard Hex.encode(verifierKey.keyID) == parts[3] else { throw .key("the signing key file's key id does not match its key") }
    }

    func sign(_ checkpoint: Checkpoint) throws -> SignedCheckpoint {
        let signature = try privateKey.signature(for: Array(checkpoint.body.utf8))
        return SignedCheckpoint(
            checkpoint: checkpoint, keyName: verifierKey.name, keyID: verifierKey.keyID, signature: Array(signature))
    }
}
