import Crypto
public import DefterDomain
import DefterLog
public import Foundation

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

/// Bearer tokens with a role. A token is shown once when issued; only its SHA-256 is stored
/// (in `data/tokens`), so a copy of the data folder does not leak usable tokens.
public final class TokenStore: Sendable {
    let store: KeyValueStore

    /// Opens (creating) the token store under the data folder.
    public init(folder: URL) throws {
        store = try KeyValueStore.open(at: folder, databases: ["tokens"])
    }

    /// Issues a new token for `role`; returns the token, which is not stored anywhere.
    public func issue(role: Role, name: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let token = "dft_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let record: JSONValue = [
            "role": .string(role.description), "name": .string(name), "issuedAt": .string(TicketEventCodec.format(Date())),
        ]
        try store.write { try $0.put("tokens", Self.hash(token), record.canonicalBytes) }
        return token
    }

    /// The role and name of a presented token, or nil when it is unknown.
    public func lookup(_ token: String) throws -> (role: Role, name: String)? {
        guard let bytes = try store.read({ try $0.get("tokens", Self.hash(token)) }) else { return nil }
        let record = try JSONValue(parsing: bytes)
        guard let roleText = record["role"]?.stringValue, let role = try? Role(roleText) else { return nil }
        return (role, record["name"]?.stringValue ?? "")
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    /// Closes the store.
    public func close() { store.close() }
}
