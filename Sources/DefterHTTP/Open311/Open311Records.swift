import DefterDomain
import DefterLog
import DefterProjections
import Foundation

/// The GeoReport v2 shapes of Defter's catalog and tickets. A request shows what the public may
/// know of a ticket: never the caller's text, name, contact, exact address or coordinates, which
/// Defter seals as personal data; the location is the district (and neighbourhood).
enum Open311Records {
    /// The one attribute every service takes: the neighbourhood, which Defter records publicly.
    static let neighbourhoodAttribute = "neighbourhood"

    /// A catalog category as a service.
    static func service(_ category: Catalog.Category, of department: Catalog.Department) -> Open311Node {
        .record([
            ("service_code", .text(category.id.rawValue)), ("service_name", .text(category.name)), ("description", .text(category.gloss)),
            ("metadata", .value(true)), ("type", .text("realtime")), ("keywords", .text(nil)), ("group", .text(department.name)),
        ])
    }

    /// A category's service definition: its one optional attribute.
    static func definition(_ category: Catalog.Category) -> Open311Node {
        .record([
            ("service_code", .text(category.id.rawValue)),
            (
                "attributes",
                .list(
                    item: "attribute",
                    [
                        .record([
                            ("variable", .value(true)), ("code", .text(neighbourhoodAttribute)), ("datatype", .text("string")),
                            ("required", .value(false)), ("datatype_description", .text("1 to 100 characters")), ("order", .value(1)),
                            ("description", .text("Mahalle: the neighbourhood of the location, e.g. Kümbet")),
                            ("values", .list(item: "value", [])),
                        ])
                    ])
            ),
        ])
    }

    /// A ticket as a service request; `updated` is when its last event happened, `publicNote` the
    /// newest note staff wrote for the citizen (it follows the status phrase in `status_notes`).
    /// `mediaURL` the crew's "after" photo, the only photo the public sees. With `extensions`, adds
    /// `extended_attributes` (channel, district, Defter's status, duplicates).
    static func request(
        _ view: TicketView, updated: Date?, publicNote: String? = nil, mediaURL: String? = nil, catalog: Catalog, extensions: Bool
    ) -> Open311Node {
        let ticket = view.ticket
        let found = ticket.category.flatMap { catalog.category($0) }
        let agency = ticket.department.flatMap { catalog.department($0)?.name } ?? (ticket.department == .triage ? "ALO 153" : nil)
        var address = ticket.location.district + ", Kahramanmaraş"
        if let neighbourhood = ticket.location.neighbourhood { address = neighbourhood + ", " + address }
        var fields: [(String, Open311Node)] = [
            ("service_request_id", .text(ticket.id.rawValue)), ("status", .text(ticket.status.isOpen ? "open" : "closed")),
            ("status_notes", .text(publicNote.map { statusNotes(ticket) + ": " + $0 } ?? statusNotes(ticket))),
            ("service_name", .text(found?.category.name)),
            ("service_code", .text(ticket.category?.rawValue)), ("description", .text(nil)), ("agency_responsible", .text(agency)),
            ("service_notice", .text(found.map { "Hizmet standardı \($0.category.standardHours) saat" })),
            ("requested_datetime", .text(Open311Time.format(ticket.receivedAt))),
            ("updated_datetime", .text(updated.map(Open311Time.format))),
            ("expected_datetime", .text(ticket.dueAt.map(Open311Time.format))),
            ("address", .text(address)), ("address_id", .text(nil)), ("zipcode", .text(nil)), ("lat", .text(nil)), ("long", .text(nil)),
            ("media_url", .text(mediaURL)),
        ]
        if extensions {
            fields.append(
                (
                    "extended_attributes",
                    .record([
                        ("channel", .text(ticket.channel.rawValue)), ("district", .text(ticket.location.district)),
                        ("neighbourhood", .text(ticket.location.neighbourhood)), ("defter_status", .text(ticket.status.rawValue)),
                        ("duplicate_of", .text(ticket.duplicateOf?.rawValue)),
                        ("duplicates", .list(item: "duplicate", view.duplicates.map { .text($0.rawValue) })),
                    ])
                ))
        }
        return .record(fields)
    }

    /// Why the request is where it is, in a phrase.
    static func statusNotes(_ ticket: Ticket) -> String {
        switch ticket.status {
        case .received, .open: "Kaydedildi (recorded)"
        case .triage: "Yönlendirme bekliyor (awaiting triage by an operator)"
        case .routed: "Birime iletildi (sent to the department)"
        case .acknowledged: "Birim talebi gördü (acknowledged by the department)"
        case .inProgress: "Çalışma sürüyor (work in progress)"
        case .resolved: "Çözüldü (resolved by the department)"
        case .closed: "Kapatıldı (closed)"
        case .closedAtFirstContact: "İlk temasta yanıtlandı (answered at first contact)"
        case .merged: "Mükerrer: \(ticket.duplicateOf?.rawValue ?? "") ile birleştirildi (merged as a duplicate)"
        case .cancelled: "İptal edildi (cancelled)"
        }
    }
}

/// ISO 8601 with the city's offset (`2025-03-01T09:30:00+03:00`), as GeoReport v2 shows times.
enum Open311Time {
    static let style = Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: TimeZone(identifier: "Europe/Istanbul")!)

    static func format(_ date: Date) -> String { style.format(date) }

    /// Parses a full timestamp with a zone (fractional seconds allowed), or a day, taken as its
    /// midnight in Istanbul.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        let day = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Europe/Istanbul")!).year().month().day()
        if text.count == 10, let date = try? day.parse(text) { return date }
        return nil
    }
}
