public import DefterDomain
public import Foundation
import TOMLKit

/// How a source file maps onto Defter: which column holds what, how its times are written, and
/// how its values (agencies, request types, statuses, channels, districts) translate. Read from
/// TOML; the format is documented in `docs/migration.md`.
public struct ImportMapping: Sendable, Equatable {
    /// The file formats a source can be in.
    public enum Format: String, Sendable, CaseIterable {
        /// Comma- (or otherwise) separated values with a header row.
        case csv
        /// One JSON object a line.
        case ndjson
        /// An Open311 GeoReport v2 `requests.json` (a JSON array of requests, or NDJSON of them);
        /// its columns default to Open311's member names.
        case open311
    }

    /// The fields a column can hold.
    public enum Field: String, Sendable, CaseIterable {
        case sourceId = "source_id"
        case opened, closed, updated, due, status, agency
        case requestType = "request_type"
        case text, address, district, neighbourhood, latitude, longitude, channel
        case callerName = "caller_name"
        case callerPhone = "caller_phone"
        case callerEmail = "caller_email"

        /// The field's place in `allCases`, for lookups without hashing.
        var position: Int {
            switch self {
            case .sourceId: 0
            case .opened: 1
            case .closed: 2
            case .updated: 3
            case .due: 4
            case .status: 5
            case .agency: 6
            case .requestType: 7
            case .text: 8
            case .address: 9
            case .district: 10
            case .neighbourhood: 11
            case .latitude: 12
            case .longitude: 13
            case .channel: 14
            case .callerName: 15
            case .callerPhone: 16
            case .callerEmail: 17
            }
        }
    }

    /// The source system's name: part of every imported record's identity.
    public let system: String
    public let format: Format
    public let encoding: SourceEncoding
    public let delimiter: UInt8
    public let timeZone: TimeZone
    public let timeFormats: [TimeFormat]
    /// The column of each mapped field.
    public let columns: [Field: String]
    public let agencies: [String: DepartmentID]
    /// Request types to a category, or to a department alone (the category unknown).
    public let requestTypes: [String: RequestTypeTarget]
    public let statuses: [String: ImportedState]
    public let channels: [String: Channel]
    public let districts: [String: String]
    public let defaultChannel: Channel?
    public let defaultDistrict: String?

    /// Where a request type leads.
    public enum RequestTypeTarget: Sendable, Equatable {
        case category(CategoryID)
        case department(DepartmentID)
    }

    /// Open311 GeoReport v2 member names, the columns of an `open311` source unless the mapping says otherwise.
    static let open311Columns: [Field: String] = [
        .sourceId: "service_request_id", .opened: "requested_datetime", .updated: "updated_datetime", .due: "expected_datetime",
        .status: "status", .agency: "agency_responsible", .requestType: "service_name", .text: "description", .address: "address",
        .latitude: "lat", .longitude: "long",
    ]

    /// Reads a mapping from TOML text, checking every value against `catalog` and the city's
    /// districts; throws naming the line or the value at fault and how to fix it.
    public init(toml text: String, catalog: Catalog) throws(ImportError) {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw .badMapping("the mapping is not valid TOML at \(error.source.begin): \(error.description)")
        } catch {
            throw .badMapping("the mapping is not valid TOML: \(error)")
        }
        let known: Set<String> = ["source", "columns", "agencies", "request_types", "statuses", "channels", "districts", "defaults"]
        if let stray = table.keys.first(where: { !known.contains($0) }) {
            throw .badMapping("unknown section [\(stray)]; the sections are \(known.sorted().map { "[\($0)]" }.joined(separator: ", "))")
        }
        func section(_ name: String) throws(ImportError) -> [String: String] {
            guard let value = table[name] else { return [:] }
            guard let section = value.table else { throw .badMapping("[\(name)] must be a table of \"key\" = \"value\" lines") }
            var out: [String: String] = [:]
            for key in section.keys {
                // time_formats is a list, read on its own below.
                if name == "source" && key == "time_formats" { continue }
                guard let text = section[key]?.string else {
                    throw .badMapping("[\(name)] \(key): the value must be a quoted string")
                }
                out[key.trimmingCharacters(in: .whitespaces)] = text
            }
            return out
        }
        let source = try section("source")
        guard let system = source["system"] else {
            throw .badMapping("[source] needs system = \"...\": the name of the system the file comes from, e.g. \"alo153-crm\"")
        }
        guard !system.isEmpty, system.utf8.count <= 40,
            system.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || [0x2d, 0x2e, 0x5f].contains($0) })
        else {
            throw .badMapping("[source] system '\(system)' must be 1 to 40 lowercase letters, digits, '.', '-' or '_'")
        }
        self.system = system
        guard let format = Format(rawValue: source["format"] ?? "csv") else {
            throw .badMapping("[source] format '\(source["format"]!)' is not one of csv, ndjson, open311")
        }
        self.format = format
        guard let encoding = SourceEncoding(rawValue: (source["encoding"] ?? "utf-8").lowercased()) else {
            throw .badMapping("[source] encoding '\(source["encoding"]!)' is not one of utf-8, windows-1254")
        }
        self.encoding = encoding
        let delimiter = source["delimiter"] ?? ","
        guard delimiter.utf8.count == 1, let byte = delimiter.utf8.first, byte != 0x22, byte != 0x0A, byte != 0x0D else {
            throw .badMapping("[source] delimiter '\(delimiter)' must be one ASCII character other than a quote or a line break")
        }
        self.delimiter = byte
        let zoneName = source["timezone"] ?? "Europe/Istanbul"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw .badMapping("[source] timezone '\(zoneName)' is not an IANA time zone like Europe/Istanbul or America/New_York")
        }
        self.timeZone = zone
        var patterns = ["iso8601"]
        if let value = table["source"]?.table?["time_formats"] {
            guard let array = value.array else { throw .badMapping("[source] time_formats must be a list: [\"dd.MM.yyyy HH:mm\"]") }
            patterns = []
            for item in array {
                guard let pattern = item.string else { throw .badMapping("[source] time_formats must hold quoted patterns") }
                patterns.append(pattern)
            }
            guard !patterns.isEmpty else { throw .badMapping("[source] time_formats is empty; give at least one pattern") }
        }
        var formats: [TimeFormat] = []
        for pattern in patterns { formats.append(try TimeFormat(pattern)) }
        self.timeFormats = formats
        for key in source.keys where !["system", "format", "encoding", "delimiter", "timezone", "time_formats"].contains(key) {
            throw .badMapping(
                "[source] has no setting '\(key)'; the settings are system, format, encoding, delimiter, timezone, time_formats")
        }

        var columns: [Field: String] = format == .open311 ? Self.open311Columns : [:]
        for (key, column) in try section("columns") {
            guard let field = Field(rawValue: key) else {
                throw .badMapping(
                    "[columns] has no field '\(key)'; the fields are \(Field.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            columns[field] = column.trimmingCharacters(in: .whitespaces)
        }
        guard columns[.sourceId] != nil, columns[.opened] != nil else {
            throw .badMapping("[columns] must name at least source_id and opened: the record's id and when it was opened")
        }
        self.columns = columns

        var agencies: [String: DepartmentID] = [:]
        for (value, target) in try section("agencies") {
            guard let department = try? DepartmentID(target), catalog.department(department) != nil else {
                throw .badMapping(
                    "[agencies] \"\(value)\" = \"\(target)\": there is no department '\(target)'; the departments are \(catalog.departments.map(\.id.rawValue).joined(separator: ", "))"
                )
            }
            agencies[value] = department
        }
        self.agencies = agencies
        var requestTypes: [String: RequestTypeTarget] = [:]
        for (value, target) in try section("request_types") {
            if let category = try? CategoryID(target), catalog.category(category) != nil {
                requestTypes[value] = .category(category)
            } else if let department = try? DepartmentID(target), catalog.department(department) != nil {
                requestTypes[value] = .department(department)
            } else {
                throw .badMapping(
                    "[request_types] \"\(value)\" = \"\(target)\": '\(target)' is neither a category (like temizlik.cop-toplama) nor a department of catalog version \(catalog.version)"
                )
            }
        }
        self.requestTypes = requestTypes
        var statuses: [String: ImportedState] = [:]
        for (value, target) in try section("statuses") {
            guard let state = ImportedState(rawValue: target) else {
                throw .badMapping(
                    "[statuses] \"\(value)\" = \"\(target)\": the states are \(ImportedState.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            statuses[value] = state
        }
        self.statuses = statuses
        var channels: [String: Channel] = [:]
        for (value, target) in try section("channels") {
            guard let channel = Channel(rawValue: target) else {
                throw .badMapping(
                    "[channels] \"\(value)\" = \"\(target)\": the channels are \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            channels[value] = channel
        }
        self.channels = channels
        var districts: [String: String] = [:]
        for (value, target) in try section("districts") {
            guard Geography.districts.contains(target) else {
                throw .badMapping(
                    "[districts] \"\(value)\" = \"\(target)\": the city's districts are \(Geography.districts.joined(separator: ", "))")
            }
            districts[value] = target
        }
        self.districts = districts
        let defaults = try section("defaults")
        for key in defaults.keys where !["channel", "district"].contains(key) {
            throw .badMapping("[defaults] has no setting '\(key)'; the settings are channel and district")
        }
        if let channel = defaults["channel"] {
            guard let value = Channel(rawValue: channel) else {
                throw .badMapping(
                    "[defaults] channel '\(channel)': the channels are \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            defaultChannel = value
        } else {
            defaultChannel = nil
        }
        if let district = defaults["district"] {
            guard Geography.districts.contains(district) else {
                throw .badMapping(
                    "[defaults] district '\(district)': the city's districts are \(Geography.districts.joined(separator: ", "))")
            }
            defaultDistrict = district
        } else {
            defaultDistrict = nil
        }
    }

    /// Reads the mapping file at `url`.
    public static func load(_ url: URL, catalog: Catalog) throws(ImportError) -> ImportMapping {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .unreadable(url.path, "the mapping file cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        return try ImportMapping(toml: text, catalog: catalog)
    }

    /// The moment `text` names in one of the mapping's time formats, tried in order.
    func time(_ text: String) -> Date? {
        for format in timeFormats {
            if let date = format.parse(text, in: timeZone) { return date }
        }
        return nil
    }
}

/// Why an import cannot go on, in words that say what to fix.
public enum ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file cannot be read.
    case unreadable(String, String)
    /// The source is broken beyond one record (no header, a quote never closed...).
    case malformedSource(line: Int, String)
    /// The mapping is wrong.
    case badMapping(String)
    /// The log holds something the import cannot go past.
    case conflict(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .malformedSource(let line, let reason): "line \(line) of the source: \(reason)"
        case .badMapping(let reason): "the mapping: \(reason)"
        case .conflict(let reason): reason
        }
    }
}
