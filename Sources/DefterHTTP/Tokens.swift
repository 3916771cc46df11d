import Crypto
public import DefterDomain
import DefterLog
public import Foundation
import Synchronization

/// Who a bearer token speaks for.
public enum Role: Sendable, Equatable, CustomStringConvertible {
    case operatorRole
    case department(DepartmentID)
    case auditor
    case officer
    case admin
    /// An Open311 client (a city app, a partner's website): it may submit and read requests
    /// through `/open311/v2`, and nothing else.
    case open311

    /// Parses `operator`, `department:<id>`, `auditor`, `officer`, `admin` or `open311`.
    public init(_ text: String) throws(DomainInputError) {
        switch text {
        case "operator": self = .operatorRole
        case "auditor": self = .auditor
        case "officer": self = .officer
        case "admin": self = .admin
        case "open311": self = .open311
        default:
            guard text.hasPrefix("department:") else {
                throw DomainInputError(
                    field: "role", reason: "'\(text)' is not a role; use operator, department:<id>, auditor, officer, admin or open311")
            }
            self = .department(try DepartmentID(String(text.dropFirst("department:".count))))
        }
    }

    public var description: String {
        switch self {
        case .operatorRole: "operator"
        case .department(let id): "department:\(id)"
        case .auditor: "auditor"
        case .officer: "officer"
        case .admin: "admin"
        case .open311: "open311"
        }
    }
}

/// The role and name a request speaks for, found from its bearer token or its session cookie.
public struct Credential: Sendable, Equatable {
    /// What the holder may do.
    public let role: Role
    /// Who or what the token was issued for (`defter tokens issue --name`).
    public let name: String
}

/// What `defter tokens list` shows of an issued token: never the token itself.
public struct TokenRecord: Sendable, Equatable {
    public let name: String
    public let role: String
    public let issuedAt: String
    /// When the token (or a session opened with it) was last used, to the minute; nil if never.
    public let lastUsedAt: String?
}

/// Bearer tokens with a role, and the console's sign-in sessions opened with them.
///
/// A token is shown once when issued; only its SHA-256 is stored (in `data/tokens`), so a copy of
/// the data folder does not leak usable tokens. A session is a random identifier kept in an
/// `HttpOnly` cookie; the store keeps its hash, the hash of the token that opened it, and when it
/// was last seen. Every request reads the token's record again, so revoking a token (even from
/// another process, `defter tokens revoke`) ends its sessions at once.
public final class TokenStore: Sendable {
    let store: KeyValueStore
    /// How long a session may go unused before it ends.
    public let idleTimeout: TimeInterval
    private let now: @Sendable () -> Date
    /// When each token hash and session hash was last written as used: those writes are kept to
    /// one a minute each, so that reads stay reads.
    private let lastWritten = Mutex<[[UInt8]: Date]>([:])
    /// How stale a stored "last used" time may be.
    static let touchInterval: TimeInterval = 60

    /// Opens (creating) the token store under the data folder. `idleTimeout` ends sessions unused
    /// that long (12 hours unless given); `now` is the clock (tests move it).
    public init(folder: URL, idleTimeout: TimeInterval = 12 * 3600, now: @escaping @Sendable () -> Date = { Date() }) throws {
        store = try KeyValueStore.open(at: folder, databases: ["tokens", "sessions", "idempotency"])
        self.idleTimeout = idleTimeout
        self.now = now
    }

    /// Issues a new token for `role`; returns the token, which is not stored anywhere.
    public func issue(role: Role, name: String) throws -> String {
        let token = "dft_" + Self.randomHex(bytes: 32)
        let record: JSONValue = [
            "role": .string(role.description), "name": .string(name), "issuedAt": .string(TicketEventCodec.format(now())),
        ]
        try store.write { try $0.put("tokens", Self.hash(token), record.canonicalBytes) }
        return token
    }

    /// The role and name of a presented token, or nil when it is unknown or revoked.
    public func lookup(_ token: String) throws -> (role: Role, name: String)? {
        guard let credential = try credential(tokenHash: Self.hash(token)) else { return nil }
        return (credential.role, credential.name)
    }

    /// Every issued token's name, role, and times, by name.
    public func list() throws -> [TokenRecord] {
        var records: [TokenRecord] = []
        try store.read { reader in
            try reader.scan("tokens") { _, value in
                let record = try JSONValue(parsing: value)
                records.append(
                    TokenRecord(
                        name: record["name"]?.stringValue ?? "", role: record["role"]?.stringValue ?? "",
                        issuedAt: record["issuedAt"]?.stringValue ?? "", lastUsedAt: record["lastUsedAt"]?.stringValue))
                return true
            }
        }
        return records.sorted { ($0.name, $0.issuedAt) < ($1.name, $1.issuedAt) }
    }

    /// Revokes every token named `name` and ends their sessions; returns how many tokens it revoked.
    public func revoke(name: String) throws -> Int {
        try store.write { writer in
            var hashes: [[UInt8]] = []
            try writer.scan("tokens") { key, value in
                if try JSONValue(parsing: value)["name"]?.stringValue == name { hashes.append(key) }
                return true
            }
            let revoked = Set(hashes.map(Hex.encode))
            var sessions: [[UInt8]] = []
            try writer.scan("sessions") { key, value in
                if let token = try JSONValue(parsing: value)["token"]?.stringValue, revoked.contains(token) { sessions.append(key) }
                return true
            }
            for hash in hashes { _ = try writer.delete("tokens", hash) }
            for session in sessions { _ = try writer.delete("sessions", session) }
            return hashes.count
        }
    }

    /// Opens a session for a valid token: returns the session identifier (for the cookie) and
    /// who it speaks for, or nil when the token is unknown.
    public func openSession(token: String) throws -> (session: String, credential: Credential)? {
        let tokenHash = Self.hash(token)
        guard let credential = try credential(tokenHash: tokenHash) else { return nil }
        let session = Self.randomHex(bytes: 32)
        let stamp = TicketEventCodec.format(now())
        let record: JSONValue = ["token": .string(Hex.encode(tokenHash)), "createdAt": .string(stamp), "lastSeenAt": .string(stamp)]
        try store.write { try $0.put("sessions", Self.hash(session), record.canonicalBytes) }
        return (session, credential)
    }

    /// Who a session speaks for, or nil when it is unknown, idle past `idleTimeout` (then it is
    /// removed), or its token was revoked. Marks it seen.
    public func session(_ session: String) throws -> Credential? {
        let key = Self.hash(session)
        guard let bytes = try store.read({ try $0.get("sessions", key) }) else { return nil }
        let record = try JSONValue(parsing: bytes)
        let current = now()
        guard let seenText = record["lastSeenAt"]?.stringValue, let seen = TicketEventCodec.parseTime(seenText),
            let tokenHex = record["token"]?.stringValue, let tokenHash = Hex.decode(tokenHex)
        else {
            return nil
        }
        // The stored time may lag the real last use by up to `touchInterval`.
        let lastSeen = max(seen, lastWritten.withLock { $0[key] } ?? seen)
        guard current.timeIntervalSince(lastSeen) <= idleTimeout else {
            try closeSession(session)
            return nil
        }
        guard let credential = try credential(tokenHash: tokenHash) else { return nil }
        if shouldTouch(key, at: current) {
            guard case .object(var fields) = record else { return credential }
            fields["lastSeenAt"] = .string(TicketEventCodec.format(current))
            try store.write { try $0.put("sessions", key, JSONValue.object(fields).canonicalBytes) }
        }
        return credential
    }

    /// Ends a session (signing out); an unknown one is already ended.
    public func closeSession(_ session: String) throws {
        let key = Self.hash(session)
        _ = try store.write { try $0.delete("sessions", key) }
        lastWritten.withLock { _ = $0.removeValue(forKey: key) }
    }

    /// The credential of a stored token hash, marking the token used.
    private func credential(tokenHash: [UInt8]) throws -> Credential? {
        guard let bytes = try store.read({ try $0.get("tokens", tokenHash) }) else { return nil }
        let record = try JSONValue(parsing: bytes)
        guard let roleText = record["role"]?.stringValue, let role = try? Role(roleText) else { return nil }
        let current = now()
        if shouldTouch(tokenHash, at: current) {
            try store.write { writer in
                // Read again inside the write: a revocation in between must not be undone.
                guard let latest = try writer.get("tokens", tokenHash), case .object(var fields) = try JSONValue(parsing: latest) else {
                    return
                }
                fields["lastUsedAt"] = .string(TicketEventCodec.format(current))
                try writer.put("tokens", tokenHash, JSONValue.object(fields).canonicalBytes)
            }
        }
        return Credential(role: role, name: record["name"]?.stringValue ?? "")
    }

    /// Whether `key`'s "last used" time should be written now, recording that it is.
    private func shouldTouch(_ key: [UInt8], at time: Date) -> Bool {
        lastWritten.withLock { written in
            if let last = written[key], time.timeIntervalSince(last) < Self.touchInterval { return false }
            written[key] = time
            return true
        }
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Closes the store.
    public func close() { store.close() }
}
