public import Foundation

/// Encodes an `Encodable` value straight into a `JSONValue`, without writing JSON text and
/// parsing it back: what appending a domain event needs, many thousand times a second.
///
/// The result equals what Foundation's `JSONEncoder` writes, parsed with `JSONValue(parsing:)`:
/// a `Double` with no fractional part becomes an integer (as `JSONEncoder` writes `1.0` as `1`),
/// `nil` optionals are left out, and dates are whatever `dates` makes of them. Non-finite numbers
/// and integers beyond 64 bits are refused, as JSON cannot hold them.
public struct JSONValueEncoder: Sendable {
    /// How a date is written.
    public let dates: @Sendable (Date) -> JSONValue

    /// An encoder writing dates with `dates`.
    public init(dates: @escaping @Sendable (Date) -> JSONValue) { self.dates = dates }

    /// The JSON value this encoder makes of a `Double`: an integer when it has no fractional part
    /// (below 10^15), a number otherwise; refused when not finite. For data built by hand that
    /// must equal what `encode` makes.
    public static func number(_ value: Double) throws -> JSONValue { try Node.number(value, nil) }

    /// The JSON value of `value`.
    public func encode(_ value: some Encodable) throws -> JSONValue {
        let root = Node()
        try Node.box(value, into: root, path: nil, dates: dates)
        return root.resolved()
    }
}

/// Where a value sits, kept as a chain from the value back to the root and turned into the
/// `[CodingKey]` array only when asked (an error, or an `encode(to:)` that reads it): building
/// that array for every member cost more than encoding the member.
private final class CodingPath {
    let parent: CodingPath?
    let key: any CodingKey

    init(_ parent: CodingPath?, _ key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    static func keys(_ path: CodingPath?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var current = path
        while let here = current {
            keys.append(here.key)
            current = here.parent
        }
        return keys.reversed()
    }
}

/// A value being built: a scalar, or an object or array whose members may still be filled in
/// through the containers that share it.
private final class Node {
    var scalar: JSONValue?
    var members: [String: Node]?
    var items: [Node]?

    init(_ scalar: JSONValue? = nil) { self.scalar = scalar }

    func resolved() -> JSONValue {
        if let members { return .object(members.mapValues { $0.resolved() }) }
        if let items { return .array(items.map { $0.resolved() }) }
        return scalar ?? .object([:])
    }

    /// Boxes `value`. The common scalars are told apart by their static type (a comparison of
    /// type metadata), not by dynamic casts, which showed up in intake's profile.
    static func box<T: Encodable>(_ value: T, into node: Node, path: CodingPath?, dates: @escaping @Sendable (Date) -> JSONValue) throws {
        if T.self == String.self {
            node.scalar = .string(value as! String)
        } else if T.self == Date.self {
            node.scalar = dates(value as! Date)
        } else if T.self == Int.self {
            node.scalar = .integer(Int64(value as! Int))
        } else if T.self == Double.self {
            node.scalar = try number(value as! Double, path)
        } else if T.self == Bool.self {
            node.scalar = .bool(value as! Bool)
        } else {
            try value.encode(to: NodeEncoder(node: node, path: path, dates: dates))
        }
    }

    static func number(_ value: Double, _ path: @autoclosure () -> CodingPath?) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: CodingPath.keys(path()), debugDescription: "\(value) is not a JSON number"))
        }
        if value == value.rounded(), abs(value) < 1e15 { return .integer(Int64(value)) }
        return .number(value)
    }

    static func integer<T: BinaryInteger>(_ value: T, _ path: @autoclosure () -> CodingPath?) throws -> JSONValue {
        guard let exact = Int64(exactly: value) else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: CodingPath.keys(path()), debugDescription: "\(value) does not fit in 64 bits"))
        }
        return .integer(exact)
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let path: CodingPath?
    let dates: @Sendable (Date) -> JSONValue
    var codingPath: [any CodingKey] { CodingPath.keys(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.members == nil { node.members = [:] }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, path: path, dates: dates))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.items == nil { node.items = [] }
        return UnkeyedNodeContainer(node: node, path: path, dates: dates)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, path: path, dates: dates)
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let path: CodingPath?
    let dates: @Sendable (Date) -> JSONValue
    var codingPath: [any CodingKey] { CodingPath.keys(path) }

    private func at(_ key: Key) -> CodingPath { CodingPath(path, key) }

    private func set(_ value: JSONValue, _ key: Key) { node.members![key.stringValue] = Node(value) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try Node.number(value, at(key)), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(try Node.number(Double("\(value)") ?? Double(value), at(key)), key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(try Node.integer(value, at(key)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(try Node.integer(value, at(key)), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let child = Node()
        try Node.box(value, into: child, path: at(key), dates: dates)
        node.members![key.stringValue] = child
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<
        NestedKey
    > {
        let child = Node()
        child.members = [:]
        node.members![key.stringValue] = child
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, path: at(key), dates: dates))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = Node()
        child.items = []
        node.members![key.stringValue] = child
        return UnkeyedNodeContainer(node: child, path: at(key), dates: dates)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let child = Node()
        node.members![name] = child
        return NodeEncoder(node: child, path: path, dates: dates)
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: Node
    let path: CodingPath?
    let dates: @Sendable (Date) -> JSONValue
    var codingPath: [any CodingKey] { CodingPath.keys(path) }
    var count: Int { node.items!.count }

    private struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    private var here: CodingPath { CodingPath(path, Index(count)) }
    private func append(_ value: JSONValue) { node.items!.append(Node(value)) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try Node.number(value, here)) }
    mutating func encode(_ value: Float) throws { append(try Node.number(Double("\(value)") ?? Double(value), here)) }
    mutating func encode(_ value: Int) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { append(.integer(value)) }
    mutating func encode(_ value: UInt) throws { append(try Node.integer(value, here)) }
    mutating func encode(_ value: UInt8) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { append(.integer(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { append(try Node.integer(value, here)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let child = Node()
        try Node.box(value, into: child, path: here, dates: dates)
        node.items!.append(child)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = Node()
        child.members = [:]
        let childPath = here
        node.items!.append(child)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, path: childPath, dates: dates))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = Node()
        child.items = []
        let childPath = here
        node.items!.append(child)
        return UnkeyedNodeContainer(node: child, path: childPath, dates: dates)
    }

    mutating func superEncoder() -> any Encoder {
        let child = Node()
        let childPath = here
        node.items!.append(child)
        return NodeEncoder(node: child, path: childPath, dates: dates)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: Node
    let path: CodingPath?
    let dates: @Sendable (Date) -> JSONValue
    var codingPath: [any CodingKey] { CodingPath.keys(path) }

    mutating func encodeNil() throws { node.scalar = .null }
    mutating func encode(_ value: Bool) throws { node.scalar = .bool(value) }
    mutating func encode(_ value: String) throws { node.scalar = .string(value) }
    mutating func encode(_ value: Double) throws { node.scalar = try Node.number(value, path) }
    mutating func encode(_ value: Float) throws { node.scalar = try Node.number(Double("\(value)") ?? Double(value), path) }
    mutating func encode(_ value: Int) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: Int8) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: Int16) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: Int32) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: Int64) throws { node.scalar = .integer(value) }
    mutating func encode(_ value: UInt) throws { node.scalar = try Node.integer(value, path) }
    mutating func encode(_ value: UInt8) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: UInt16) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: UInt32) throws { node.scalar = .integer(Int64(value)) }
    mutating func encode(_ value: UInt64) throws { node.scalar = try Node.integer(value, path) }
    mutating func encode<T: Encodable>(_ value: T) throws { try Node.box(value, into: node, path: path, dates: dates) }
}
