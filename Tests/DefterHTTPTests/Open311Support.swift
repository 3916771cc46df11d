import DefterLog
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Collects JSON responses with the Open311 schema each must satisfy, then validates them all in
/// one run of `tools/validate_open311.py` against the schemas copied into `Fixtures/open311`.
final class Open311SchemaCheck: Sendable {
    private let responses = Mutex<[JSONValue]>([])

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Keeps `body` (which must be JSON) to validate against `schema`.
    func expect(_ body: ByteBuffer, matches schema: String, _ name: String) {
        let instance = json(body)
        #expect(instance != .null, "\(name) is not JSON")
        responses.withLock { $0.append(["name": .string(name), "schema": .string(schema), "instance": instance]) }
    }

    /// Validates everything kept; records an issue per failing response.
    func validate() throws {
        let items = responses.withLock { $0 }
        guard !items.isEmpty else { return }
        let schemas = try #require(Bundle.module.url(forResource: "open311", withExtension: nil, subdirectory: "Fixtures"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("open311-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(JSONValue.array(items).canonicalBytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "tools/validate_open311.py", schemas.path, file.path]
        process.currentDirectoryURL = Self.repository
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("\(items.count) passed, 0 failed"), "\(output)")
    }
}

/// The element names of an XML document in document order, or nil when it is not well-formed.
func xmlElements(_ buffer: ByteBuffer) -> [String]? {
    final class Collector: NSObject, XMLParserDelegate {
        var names: [String] = []
        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            names.append(elementName)
        }
    }
    let parser = XMLParser(data: Data(buffer.readableBytesView))
    let collector = Collector()
    parser.delegate = collector
    return parser.parse() ? collector.names : nil
}

/// A form body, percent-encoding each value.
func form(_ fields: [(String, String)]) -> ByteBuffer {
    let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    let text = fields.map { name, value in
        name.addingPercentEncoding(withAllowedCharacters: allowed)! + "=" + value.addingPercentEncoding(withAllowedCharacters: allowed)!
    }.joined(separator: "&")
    return ByteBuffer(string: text)
}

/// Headers for a form post.
var formHeaders: HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] = "application/x-www-form-urlencoded"
    return fields
}
