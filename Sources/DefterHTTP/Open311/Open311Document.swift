import DefterLog

/// A GeoReport v2 response as a tree that renders both ways the standard asks: JSON (arrays and
/// objects) and XML (named elements, with every list item in an element of its own name).
indirect enum Open311Node {
    /// A string, number, boolean or null (an empty element in XML).
    case value(JSONValue)
    /// Named fields, in the order XML shows them.
    case record([(String, Open311Node)])
    /// Items, each wrapped in an `item` element in XML.
    case list(item: String, [Open311Node])

    /// A string, or null when absent.
    static func text(_ string: String?) -> Open311Node { .value(string.map { .string($0) } ?? .null) }

    /// The node as JSON.
    var json: JSONValue {
        switch self {
        case .value(let value): value
        case .record(let fields): .object(Dictionary(fields.map { ($0.0, $0.1.json) }, uniquingKeysWith: { first, _ in first }))
        case .list(_, let items): .array(items.map(\.json))
        }
    }
}

/// A whole response: the XML root element's name and the tree under it.
struct Open311Document {
    let root: String
    let node: Open311Node

    /// The document in `format`, as bytes.
    func render(_ format: Open311Format) -> [UInt8] {
        switch format {
        case .json: node.json.canonicalBytes
        case .xml: Array(XMLWriter.document(root: root, node).utf8)
        }
    }
}

/// The two formats of GeoReport v2, chosen by the path's suffix.
enum Open311Format: String, CaseIterable {
    case json
    case xml

    /// The `Content-Type` of a response in this format.
    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .xml: "text/xml; charset=utf-8"
        }
    }
}

/// Writes an `Open311Node` as XML 1.0.
enum XMLWriter {
    /// The document with its declaration.
    static func document(root: String, _ node: Open311Node) -> String {
        var out = #"<?xml version="1.0" encoding="utf-8"?>"#
        element(root, node, into: &out)
        return out
    }

    static func element(_ name: String, _ node: Open311Node, into out: inout String) {
        switch node {
        case .value(.null):
            out += "<\(name)/>"
        case .value(let value):
            out += "<\(name)>" + escape(scalar(value)) + "</\(name)>"
        case .record(let fields):
            out += "<\(name)>"
            for (key, child) in fields { element(key, child, into: &out) }
            out += "</\(name)>"
        case .list(let item, let items):
            out += "<\(name)>"
            for child in items { element(item, child, into: &out) }
            out += "</\(name)>"
        }
    }

    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let string): string
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        default: value.canonicalString
        }
    }

    /// Escapes markup characters and drops characters XML 1.0 cannot carry (most controls).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value >= 0x20 && !(0xFFFE...0xFFFF).contains(value) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
