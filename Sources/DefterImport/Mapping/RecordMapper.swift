import Crypto
public import DefterDomain
import DefterLog
public import Foundation

/// A source record's values, found by field through the mapping's columns.
struct SourceRow {
    /// The line the record starts on (the header is line 1).
    let line: Int
    let value: (ImportMapping.Field) -> String?
}

/// A source record translated onto Defter, ready to be sealed and appended.
public struct MappedRecord: Sendable, Equatable {
    public let line: Int
    public let source: ImportSource
    public let openedAt: Date
    public let record: ImportedRecordState
    /// The catalog version whose standard gave the deadline (or the one in force, without a category).
    public let catalogVersion: Int
    public let channel: Channel
    public let location: Location
    /// The caller's personal data and the free text, in plaintext until sealed.
    public let personalData: PersonalData
    public let findings: [ImportFinding]
    /// SHA-256 of the record's mapped values, personal data excepted.
    public let digest: String
}

/// A value of the source that the mapping does not translate.
public struct UnmappedValue: Hashable, Sendable, Comparable {
    /// The mapping's section that would translate it (`agencies`, `statuses`...).
    public let section: String
    public let value: String

    public static func < (a: UnmappedValue, b: UnmappedValue) -> Bool { (a.section, a.value) < (b.section, b.value) }
}

/// What became of one source record.
public enum MappingOutcome: Sendable, Equatable {
    case mapped(MappedRecord)
    /// The record cannot be imported as it is: why, in words.
    case bad(line: Int, reason: String)
    /// The record needs mapping lines that are missing.
    case unmapped(line: Int, [UnmappedValue])
}

/// Translates source records with a mapping: pure, no I/O.
public struct RecordMapper: Sendable {
    let mapping: ImportMapping
    /// The catalogs published in the log, oldest first; the last is in force.
    let catalogs: [Catalog]
    private let districtSet: Set<String>

    /// A mapper for `mapping` over the catalogs published so far (oldest first).
    public init(mapping: ImportMapping, catalogs: [Catalog]) {
        precondition(!catalogs.isEmpty, "a mapper needs the catalog in force")
        self.mapping = mapping
        self.catalogs = catalogs
        self.districtSet = Set(Geography.districts)
    }

    func map(_ row: SourceRow) -> MappingOutcome {
        func text(_ field: ImportMapping.Field) -> String? {
            guard let raw = row.value(field) else { return nil }
            let trimmed = Self.trimmed(raw)
            return trimmed.isEmpty ? nil : trimmed
        }
        guard let sourceId = text(.sourceId) else {
            return .bad(line: row.line, reason: "no source id (column '\(mapping.columns[.sourceId]!)' is empty)")
        }
        guard let openedText = text(.opened) else {
            return .bad(line: row.line, reason: "record \(sourceId) has no opening time (column '\(mapping.columns[.opened]!)' is empty)")
        }
        let formats = mapping.timeFormats.map(\.description).joined(separator: "\", \"")
        guard let openedAt = mapping.time(openedText) else {
            return .bad(
                line: row.line, reason: "record \(sourceId): opening time '\(openedText)' is in none of the time formats \"\(formats)\"")
        }
        var times: [ImportMapping.Field: Date] = [:]
        for field in [ImportMapping.Field.closed, .updated, .due] {
            guard let value = text(field) else { continue }
            guard let date = mapping.time(value) else {
                return .bad(
                    line: row.line,
                    reason: "record \(sourceId): \(field.rawValue) time '\(value)' is in none of the time formats \"\(formats)\"")
            }
            times[field] = date
        }
        var unmapped: [UnmappedValue] = []
        // Department and category: the request type first, then the agency.
        var department: DepartmentID?
        var category: CategoryID?
        let requestType = text(.requestType)
        let agency = text(.agency)
        if let requestType, let target = mapping.requestTypes[requestType] {
            switch target {
            case .category(let id):
                category = id
                department = catalogs.last!.category(id)?.department.id
            case .department(let id): department = id
            }
        } else if let agency, let id = mapping.agencies[agency] {
            department = id
        }
        if department == nil {
            if let requestType { unmapped.append(UnmappedValue(section: "request_types", value: requestType)) }
            if let agency { unmapped.append(UnmappedValue(section: "agencies", value: agency)) }
            if requestType == nil && agency == nil {
                return .bad(line: row.line, reason: "record \(sourceId) names neither an agency nor a request type")
            }
        }
        let state: ImportedState
        if mapping.columns[.status] != nil {
            let value = text(.status) ?? ""
            if let mapped = mapping.statuses[value] {
                state = mapped
            } else {
                unmapped.append(UnmappedValue(section: "statuses", value: value))
                state = .open
            }
        } else {
            state = times[.closed] == nil ? .open : .closed
        }
        var channel = Channel.phone
        if mapping.columns[.channel] != nil {
            if let value = text(.channel), let mapped = mapping.channels[value] {
                channel = mapped
            } else if let fallback = mapping.defaultChannel {
                channel = fallback
            } else {
                unmapped.append(UnmappedValue(section: "channels", value: text(.channel) ?? ""))
            }
        } else if let fallback = mapping.defaultChannel {
            channel = fallback
        }
        var district: String?
        if let value = text(.district) {
            district = mapping.districts[value] ?? (districtSet.contains(value) ? value : nil)
        }
        if district == nil {
            if let fallback = mapping.defaultDistrict {
                district = fallback
            } else if let value = text(.district) {
                unmapped.append(UnmappedValue(section: "districts", value: value))
            } else {
                return .bad(line: row.line, reason: "record \(sourceId) has no district, and the mapping has no [defaults] district")
            }
        }
        guard unmapped.isEmpty, let department, let district else { return .unmapped(line: row.line, unmapped) }
        if state.isDone && times[.closed] == nil {
            return .bad(line: row.line, reason: "record \(sourceId) is \(state.rawValue) but has no closing time")
        }
        // The standard of the catalog in force at opening, else of the one in force now.
        let openedDay = IstanbulDate(openedAt).dayText
        var catalog = catalogs.last!
        var standard: Catalog.Category?
        if let category {
            if let then = catalogs.last(where: { $0.effectiveFrom <= openedDay && $0.category(category) != nil }) { catalog = then }
            standard = catalog.category(category)?.category
        }
        let dueAt = times[.due] ?? standard.map { openedAt.addingTimeInterval(Double($0.standardHours) * 3600) }
        let record = ImportedRecordState(
            state: state, closedAt: times[.closed], updatedAt: times[.updated], department: department, category: category,
            standardHours: standard?.standardHours, priority: standard?.priority, dueAt: dueAt)
        var coordinates: PersonalData.Coordinates?
        if let latitude = text(.latitude).flatMap(Double.init), let longitude = text(.longitude).flatMap(Double.init),
            (-90...90).contains(latitude), (-180...180).contains(longitude), latitude != 0 || longitude != 0
        {
            coordinates = PersonalData.Coordinates(latitude: latitude, longitude: longitude)
        }
        let personalData = PersonalData(
            name: text(.callerName).map { String($0.prefix(200)) }, phone: text(.callerPhone).map(Self.phone),
            address: text(.address).map { String($0.prefix(500)) }, email: text(.callerEmail), coordinates: coordinates,
            text: String((text(.text) ?? "").prefix(PersonalData.maximumTextLength)))
        let source = ImportSource(system: mapping.system, id: sourceId)
        let location = Location(district: district, neighbourhood: text(.neighbourhood).map { String($0.prefix(100)) })
        return .mapped(
            MappedRecord(
                line: row.line, source: source, openedAt: openedAt, record: record, catalogVersion: catalog.version, channel: channel,
                location: location, personalData: personalData,
                findings: ImportFinding.of(
                    openedAt: openedAt, state: state, closedAt: record.closedAt, updatedAt: record.updatedAt, dueAt: times[.due]),
                digest: Self.digest(source: source, openedAt: openedAt, record: record, channel: channel, location: location)))
    }

    /// `text` without leading and trailing white space and line breaks (what Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` does, several times faster).
    static func trimmed(_ text: String) -> String {
        // Most values start and end with a visible ASCII character: nothing to trim.
        if let first = text.utf8.first, let last = text.utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return text
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return text }
        if !first.properties.isWhitespace && !last.properties.isWhitespace { return text }
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }

    /// A Turkish number normalised to `+90...`; any other number as the source wrote it.
    static func phone(_ text: String) -> String {
        (try? TurkishPhoneNumber.normalise(text)) ?? text
    }

    /// SHA-256 over the mapped values (not the personal data), one `name=value` line each.
    static func digest(source: ImportSource, openedAt: Date, record: ImportedRecordState, channel: Channel, location: Location) -> String {
        func time(_ date: Date?) -> String { date.map(TicketEventCodec.format) ?? "" }
        let lines = [
            "system=\(source.system)", "id=\(source.id)", "opened=\(time(openedAt))", "state=\(record.state.rawValue)",
            "closed=\(time(record.closedAt))", "updated=\(time(record.updatedAt))", "department=\(record.department)",
            "category=\(record.category?.rawValue ?? "")", "due=\(time(record.dueAt))", "channel=\(channel.rawValue)",
            "district=\(location.district)", "neighbourhood=\(location.neighbourhood ?? "")",
        ]
        return Hex.encode(SHA256.hash(data: Array(lines.joined(separator: "\n").utf8)))
    }
}
