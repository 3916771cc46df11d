import Crypto
import DefterDomain
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird

/// The `Idempotency-Key` request header (IETF httpapi draft "The Idempotency-Key HTTP Header
/// Field") on the intake POSTs: a client that did not hear the answer sends the same request with
/// the same key, and gets the first answer instead of a second ticket. The same key with another
/// request is refused with 422.
///
/// Keys are kept per client (the token's name), with a fingerprint of the request they first came
/// with and the call id that request was recorded under, in the token store's `idempotency`
/// database. A key is claimed durably before its call is recorded, so after a crash the retry
/// finds the claim and records the call under the same call id, which makes exactly one ticket.
struct IdempotencyKey: Sendable, Equatable {
    /// The header's value, unquoted.
    let value: String

    /// The longest key accepted.
    static let maximumLength = 255

    static let header = HTTPField.Name("Idempotency-Key")!

    /// The request's key, if it sent one: an sf-string (`"8e03..."`) or, as many clients send it,
    /// the bare token. Throws 400 for an empty, overlong or non-printable key.
    static func of(_ request: Request) throws -> IdempotencyKey? {
        guard let raw = request.headers[header] else { return nil }
        var value = raw.trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        guard (1...maximumLength).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError(
                status: .badRequest, code: "bad_idempotency_key",
                message:
                    "Idempotency-Key must be 1 to \(maximumLength) printable ASCII characters without spaces, such as a UUID: "
                    + "Idempotency-Key: \"8e03978e-40d5-43e8-bc93-6894a57f9324\"")
        }
        return IdempotencyKey(value: value)
    }
}

/// A key reused with a different request.
struct IdempotencyKeyReused: Error, Sendable {
    let key: String
}

extension TokenStore {
    /// Claims `key` for `client`'s request with `fingerprint`, durably; returns the call id to
    /// record the request under: `callId` for a new key, the first request's call id for a retry.
    /// Throws `IdempotencyKeyReused` when the key came before with a different request.
    func claimIdempotencyKey(_ key: IdempotencyKey, client: String, fingerprint: [UInt8], callId: String) throws -> String {
        let storeKey = Array(SHA256.hash(data: Array("\(client)\n\(key.value)".utf8)))
        return try store.write { writer in
            if let stored = try writer.get("idempotency", storeKey) {
                let record = try JSONValue(parsing: stored)
                guard record["fingerprint"]?.stringValue == Hex.encode(fingerprint), let first = record["callId"]?.stringValue else {
                    throw IdempotencyKeyReused(key: key.value)
                }
                return first
            }
            let record: JSONValue = [
                "fingerprint": .string(Hex.encode(fingerprint)), "callId": .string(callId),
                "at": .string(TicketEventCodec.format(Date())),
            ]
            try writer.put("idempotency", storeKey, record.canonicalBytes)
            return callId
        }
    }
}

extension DefterAPI {
    /// The 422 for a key reused with another request.
    static func keyReused(_ error: IdempotencyKeyReused) -> APIError {
        APIError(
            status: .unprocessableContent, code: "idempotency_key_reused",
            message:
                "Bu Idempotency-Key başka bir istekle kullanılmış; yeni istek için yeni bir anahtar üretin. / "
                + "Idempotency-Key '\(error.key.prefix(100))' was already used for a different request; use a new key for a new request.")
    }

    /// A fingerprint of an intake request's content: the same content gives the same fingerprint
    /// whatever the JSON key order or the multipart boundary.
    static func fingerprint(_ parts: [[UInt8]]) -> [UInt8] {
        var hasher = SHA256()
        for part in parts {
            var length = UInt64(part.count).bigEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: part)
        }
        return Array(hasher.finalize())
    }
}
