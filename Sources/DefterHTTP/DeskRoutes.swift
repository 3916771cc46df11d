import DefterDomain
import DefterLog
import DefterProjections
import DefterRouting
import DefterTickets
import Foundation
import Hummingbird

/// What the console's desks need besides the ticket routes: the catalog with its reply
/// templates, the router's suggestion while a call is typed, possible duplicates of a call, and
/// the log's public key for checking proofs in the browser.
extension DefterAPI {
    func registerDesk(on router: Hummingbird.Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        recorder.get(router, "/v1/catalog") { request, _ in
            await respond {
                _ = try authorize(request, { _ in true })
                let replies = try ReplyTemplates.load(dataFolder: log.folder)
                var byCategory: [String: JSONValue] = [:]
                let departments: [JSONValue] = catalog.departments.map { department in
                    let categories: [JSONValue] = department.categories.filter { !$0.isRetired }.map { category in
                        byCategory[category.id.rawValue] = .array(
                            replies.forCategory(category.id, in: department.id).map { template in
                                ["id": .string(template.id), "title": .string(template.title), "text": .string(template.text)]
                            })
                        return [
                            "id": .string(category.id.rawValue), "name": .string(category.name), "gloss": .string(category.gloss),
                            "standardHours": .integer(Int64(category.standardHours)), "priority": .integer(Int64(category.priority)),
                        ]
                    }
                    return [
                        "id": .string(department.id.rawValue), "name": .string(department.name), "gloss": .string(department.gloss),
                        "categories": .array(categories),
                    ]
                }
                return [
                    "version": .integer(Int64(catalog.version)), "departments": .array(departments),
                    "districts": .array(Geography.districts.map { .string($0) }), "replies": .object(byCategory),
                ]
            }
        }
        recorder.post(router, "/v1/routing/classify") { request, context in
            await respond {
                _ = try authorize(request, { $0 == .operatorRole || $0 == .admin })
                let fields = try await object(try await body(request, context))
                try Self.requireOnly(fields, ["text"])
                guard let text = fields["text"]?.stringValue else {
                    throw APIError(status: .badRequest, code: "bad_input", message: "\"text\" is required: what the caller said")
                }
                guard text.count <= 5000 else {
                    throw APIError(
                        status: .badRequest, code: "bad_input", message: "\"text\" is \(text.count) characters; the limit is 5000")
                }
                let decision = service.router.classify(text)
                return [
                    "department": .string(decision.department.rawValue), "category": .string(decision.category.rawValue),
                    "confidence": .number(decision.confidence), "auto": .bool(decision.auto), "threshold": .number(decision.threshold),
                    "reasons": .array(decision.terms.map { .string($0) }),
                    "alternatives": .array(
                        decision.alternatives.map { alternative in
                            [
                                "department": .string(alternative.department.rawValue), "category": .string(alternative.category.rawValue),
                                "confidence": .number(alternative.confidence),
                            ]
                        }),
                    "highlights": .array(
                        decision.highlights(in: text).map {
                            ["start": .integer(Int64($0.lowerBound)), "end": .integer(Int64($0.upperBound))]
                        }),
                ]
            }
        }
        recorder.get(router, "/v1/tickets/similar") { request, _ in
            await respond {
                _ = try authorize(request, { $0 == .operatorRole || $0 == .admin })
                let query = request.uri.queryParameters
                guard let categoryText = query.get("category"), let district = query.get("district") else {
                    throw APIError(status: .badRequest, code: "bad_parameter", message: "category and district are required")
                }
                let category = try input { try CategoryID(categoryText) }
                guard let department = catalog.category(category)?.department.id else {
                    throw APIError(status: .notFound, code: "not_found", message: "there is no category '\(category)'")
                }
                let neighbourhood = query.get("neighbourhood").flatMap { $0.isEmpty ? nil : $0 }
                let now = Date()
                let since = now.addingTimeInterval(-7 * 24 * 3600)
                try projections.queues.catchUp()
                let page = try projections.queues.queue(
                    department, filter: QueueFilter(category: category, district: district, offset: 0, limit: 500))
                let items = page.items.filter { item in
                    item.receivedAt >= since
                        && (neighbourhood == nil
                            || item.neighbourhood?.compare(neighbourhood!, options: [.caseInsensitive, .diacriticInsensitive])
                                == .orderedSame)
                }
                return ["items": .array(items.sorted { $0.receivedAt > $1.receivedAt }.prefix(20).map { $0.json(now: now) })]
            }
        }
        recorder.get(router, "/v1/log/key") { request, _ in
            await respond {
                _ = try authorize(request, { $0 == .auditor || $0 == .admin })
                return [
                    "vkey": .string(log.verifierKey.vkey), "origin": .string(log.origin), "keyName": .string(log.verifierKey.name),
                    "keyId": .string(Hex.encode(log.verifierKey.keyID)),
                ]
            }
        }
    }
}
