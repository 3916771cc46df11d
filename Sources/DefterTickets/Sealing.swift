import Crypto
public import DefterDomain
public import DefterLog
import Foundation
import Synchronization

/// Seals personal data with AES-256-GCM under a key per citizen, kept in the key vault. The log
/// only ever sees the ciphertext and the citizen reference (which is the key's id).
public struct PersonalDataSealer: Sendable {
    let vault: KeyVault
    private static let pepperID = "pepper"
    /// The pepper, once read: it never changes, and reading it must not wait behind the vault's
    /// writer (a write transaction, even an empty one, queues behind a group commit's fsync).
    private let pepper = PepperCache()

    /// Seals with keys from `vault`.
    public init(vault: KeyVault) {
        self.vault = vault
    }

    /// Seals `data` (already validated) under `citizen`'s key at once, the key provisional when
    /// it is new (`KeyVault.provisionalKey`). Nothing sealed may be recorded before the returned
    /// step has run: pass it to `EventLog.append(_:committingFirst:)`, which stores the key just
    /// before the events that name it, in the same writer cycle.
    public func sealProvisionally(_ data: PersonalData, for citizen: CitizenRef) throws -> (
        sealed: SealedPersonalData, storeKey: @Sendable () throws -> Void
    ) {
        let key = try vault.provisionalKey(citizen.rawValue) { Self.randomBytes(32) }
        let vault = self.vault
        return (try seal(data, for: citizen, key: key), { try vault.makeDurable(citizen.rawValue, key) })
    }

    /// The citizen a caller is: the same phone number (or national id) always gives the same
    /// reference, through a keyed hash whose key never leaves the vault; a caller with neither
    /// gets a new reference of 80 random bits (the same shape as a keyed one).
    public func citizen(for data: PersonalData) throws -> CitizenRef {
        let identity = data.nationalId.map { "tckn:" + $0 } ?? data.phone.map { "tel:" + $0 }
        guard let identity else { return CitizenRef(unchecked: "c-" + Hex.encode(Self.randomBytes(10))) }
        return try citizen(identity: identity)
    }

    /// The citizen reference of an identity (`tel:+90...`, `tckn:...`, or an imported record's
    /// `import:<system>:<id>` when it names no phone): the same identity always gives the same
    /// reference in this vault, through the keyed hash.
    public func citizen(identity: String) throws -> CitizenRef {
        let pepper = try self.pepper.value { try vault.key(Self.pepperID) { Self.randomBytes(32) } }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(identity.utf8), using: SymmetricKey(data: pepper))
        return CitizenRef(unchecked: "c-" + Hex.encode(Data(mac).prefix(10)))
    }

    /// Seals `data` (already validated) under `citizen`'s key, creating the key when needed.
    public func seal(_ data: PersonalData, for citizen: CitizenRef, key known: [UInt8]? = nil) throws -> SealedPersonalData {
        let key = try known ?? vault.key(citizen.rawValue) { Self.randomBytes(32) }
        let plaintext = data.plaintextJSON
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key), authenticating: Array(citizen.rawValue.utf8))
        guard let combined = box.combined else { throw SealingError.unsealable }
        return SealedPersonalData(citizen: citizen, sealed: combined.base64EncodedString(), fields: data.presentFields)
    }

    /// Opens sealed data; nil when the citizen's key was erased.
    public func open(_ sealed: SealedPersonalData) throws -> PersonalData? {
        guard let key = try vault.key(sealed.citizen.rawValue) else { return nil }
        guard let combined = Data(base64Encoded: sealed.sealed) else { throw SealingError.damaged(sealed.citizen) }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: Array(sealed.citizen.rawValue.utf8))
            return try JSONDecoder().decode(PersonalData.self, from: plaintext)
        } catch {
            throw SealingError.damaged(sealed.citizen)
        }
    }

    /// Destroys `citizen`'s key: everything sealed under it becomes unreadable for good.
    public func erase(_ citizen: CitizenRef) throws -> Bool {
        try vault.erase(citizen.rawValue)
    }

    /// `count` random bytes from the system's generator, eight to a draw (one `UInt8` a draw
    /// would cost a system call per byte).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count { withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) } }
        return Array(bytes.prefix(count))
    }
}

extension PersonalData {
    /// The JSON object that is sealed: the present fields, keys sorted (what `JSONEncoder` with
    /// sorted keys writes, and `JSONDecoder` reads back), built without `Encodable`'s machinery,
    /// which cost intake and imports more than the cipher.
    var plaintextJSON: [UInt8] {
        var object: [String: JSONValue] = ["text": .string(text)]
        if let name { object["name"] = .string(name) }
        if let phone { object["phone"] = .string(phone) }
        if let nationalId { object["nationalId"] = .string(nationalId) }
        if let address { object["address"] = .string(address) }
        if let email { object["email"] = .string(email) }
        if let coordinates {
            object["coordinates"] = .object(["latitude": .number(coordinates.latitude), "longitude": .number(coordinates.longitude)])
        }
        if let mediaURL { object["mediaURL"] = .string(mediaURL) }
        return JSONValue.object(object).canonicalBytes
    }
}

/// The vault's pepper, read once per process.
final class PepperCache: Sendable {
    private let cached = Mutex<[UInt8]?>(nil)

    /// The pepper, read with `load` the first time.
    func value(_ load: () throws -> [UInt8]) throws -> [UInt8] {
        try cached.withLock { cached in
            if let cached { return cached }
            let loaded = try load()
            cached = loaded
            return loaded
        }
    }
}

/// Why sealed personal data could not be handled.
public enum SealingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The cipher produced no output.
    case unsealable
    /// The ciphertext does not open with the citizen's key.
    case damaged(CitizenRef)

    public var description: String {
        switch self {
        case .unsealable: "personal data could not be sealed"
        case .damaged(let citizen): "the sealed personal data of \(citizen) is damaged and cannot be opened"
        }
    }
}
