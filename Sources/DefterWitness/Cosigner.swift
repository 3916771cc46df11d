public import Crypto
import DefterLog
public import Foundation

/// A cosigner's public key in the signed-note verifier-key form of C2SP `tlog-cosignature`:
/// `<name>+<hex key id>+<base64(0x04 || 32-byte Ed25519 public key)>`, whose key id is
/// `SHA-256(name || 0x0A || 0x04 || public key)[:4]`.
public struct CosignerVerifierKey: Sendable, Hashable {
    /// The cosigner's name, e.g. `witness.example.org/w1`.
    public let name: String
    /// The 32 raw Ed25519 public key bytes.
    public let publicKeyBytes: [UInt8]

    /// The signature type byte of Ed25519 cosignatures (`cosignature/v1`).
    static let signatureType: UInt8 = 0x04

    init(name: String, publicKeyBytes: [UInt8]) {
        self.name = name
        self.publicKeyBytes = publicKeyBytes
    }

    /// Parses the verifier-key text form.
    public init(vkey: String) throws(WitnessKeyError) {
        let parts = vkey.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let blob = Data(base64Encoded: String(parts[2])), blob.count == 33,
            blob.first == Self.signatureType, (try? Curve25519.Signing.PublicKey(rawRepresentation: blob.dropFirst())) != nil
        else {
            throw WitnessKeyError(
                "'\(vkey.prefix(200))' is not an Ed25519 cosigner key of the form name+keyid+base64(0x04 || key) (C2SP tlog-cosignature)")
        }
        self.init(name: String(parts[0]), publicKeyBytes: Array(blob.dropFirst()))
        guard Hex.encode(keyID) == parts[1] else { throw WitnessKeyError("the key id in '\(vkey.prefix(200))' does not match its key") }
    }

    /// The 4-byte key id.
    public var keyID: [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0a, Self.signatureType] + publicKeyBytes).prefix(4))
    }

    /// The verifier-key text form.
    public var vkey: String { "\(name)+\(Hex.encode(keyID))+\(Data([Self.signatureType] + publicKeyBytes).base64EncodedString())" }

    /// The time of a valid cosignature `line` of this key over the note `body`; nil when the
    /// line is another key's; throws when it is this key's and does not verify.
    public func verify(line: String, body: String) throws(WitnessKeyError) -> UInt64? {
        guard let signature = NoteSignature(line: line), signature.name == name, signature.keyID == keyID else { return nil }
        let blob = signature.blob
        guard blob.count == 4 + 8 + 64 else { throw WitnessKeyError("the cosignature of \(name) is \(blob.count) bytes, not 76") }
        let time = blob[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let message = Cosigner.message(body: body, time: time)
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKeyBytes),
            key.isValidSignature(Array(blob[12...]), for: message)
        else { throw WitnessKeyError("the cosignature of \(name) does not verify") }
        return time
    }
}

/// A key a person can act on was refused.
public struct WitnessKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One signature line of a signed note: `— <name> <base64(key id || signature)>`.
extension CosignerVerifierKey {
    /// The name on a signed-note signature line `— name base64` (a witness's cosignature), or
    /// nil when the line is not one.
    public static func signer(of line: String) -> String? { NoteSignature(line: line)?.name }

    /// The keys among `keys` with a valid cosignature among `lines` over the note `body`: the
    /// witnesses that vouch for it, to count against a quorum.
    public static func vouching(_ keys: [CosignerVerifierKey], in lines: [String], body: String) -> [CosignerVerifierKey] {
        keys.filter { key in lines.contains { line in (try? key.verify(line: line, body: body)).flatMap { $0 } != nil } }
    }
}

struct NoteSignature: Equatable {
    let name: String
    let blob: [UInt8]
    var keyID: [UInt8] { Array(blob.prefix(4)) }

    init?(line: String) {
        guard line.hasPrefix("\u{2014} ") else { return nil }
        let parts = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let blob = Data(base64Encoded: String(parts[1])), blob.count > 4 else { return nil }
        self.name = String(parts[0])
        self.blob = Array(blob)
    }
}

/// A witness's Ed25519 cosigning key, kept in a file in the private-key form
/// `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>` (mode 0600).
public struct Cosigner: Sendable {
    private let seed: [UInt8]
    /// The public half.
    public let verifierKey: CosignerVerifierKey

    private var privateKey: Curve25519.Signing.PrivateKey {
        // The seed was validated as a key when this value was made.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// A new random key named `name`.
    public init(name: String) {
        let key = Curve25519.Signing.PrivateKey()
        self.seed = Array(key.rawRepresentation)
        self.verifierKey = CosignerVerifierKey(name: name, publicKeyBytes: Array(key.publicKey.rawRepresentation))
    }

    /// Reads the private-key text form.
    public init(fileText text: String) throws(WitnessKeyError) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", !parts[2].isEmpty,
            let blob = Data(base64Encoded: String(parts[4])), blob.count == 33, blob.first == CosignerVerifierKey.signatureType,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: blob.dropFirst())
        else {
            throw WitnessKeyError(
                "the witness key file is not a PRIVATE+KEY+name+id+key Ed25519 cosigner key; make one with `defter witness keygen`")
        }
        self.seed = Array(key.rawRepresentation)
        self.verifierKey = CosignerVerifierKey(name: String(parts[2]), publicKeyBytes: Array(key.publicKey.rawRepresentation))
        guard Hex.encode(verifierKey.keyID) == parts[3] else {
            throw WitnessKeyError("the witness key file's key id does not match its key")
        }
    }

    /// The private-key text form.
    public var fileText: String {
        "PRIVATE+KEY+\(verifierKey.name)+\(Hex.encode(verifierKey.keyID))+\(Data([CosignerVerifierKey.signatureType] + seed).base64EncodedString())\n"
    }

    /// The `cosignature/v1` signature line over the checkpoint `body` (its whole note body,
    /// extension lines included), at `time` (POSIX seconds).
    public func cosign(body: String, time: UInt64) throws -> String {
        let signature = try privateKey.signature(for: Self.message(body: body, time: time))
        var blob = verifierKey.keyID
        for shift in stride(from: 56, through: 0, by: -8) { blob.append(UInt8(truncatingIfNeeded: time >> UInt64(shift))) }
        blob += Array(signature)
        return "\u{2014} \(verifierKey.name) \(Data(blob).base64EncodedString())\n"
    }

    /// The signed message: `cosignature/v1`, the time line, then the note body.
    static func message(body: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n\(body)".utf8)
    }
}
