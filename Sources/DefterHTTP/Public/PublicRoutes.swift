import DefterDomain
import DefterLog
import DefterTransparency
import DefterWitness
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension DefterAPI {
    /// The public face, no sign-in: the transparency dashboard (`/`), request tracking (`/takip`),
    /// their files (`/public/...`), and the JSON they read (`/v1/public/...`). Every figure comes
    /// from `PublishedFigures` (one snapshot at a signed checkpoint, cached with an ETag); no
    /// response carries personal data.
    func registerPublic(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        let pages = publicPages
        router.get("/") { request, _ in pages.response(request, "index.html", prefix: "/") }
        router.get("/takip") { request, _ in pages.response(request, "takip.html", prefix: "/") }
        router.get("/public/**") { request, context in
            pages.response(request, context.parameters.getCatchAll().joined(separator: "/"), prefix: "/public/")
        }

        recorder.get(router, "/v1/public/dashboard") { request, _ in
            await publicBody(request) {
                let query = request.uri.queryParameters
                let language = try Self.language(query.get("lang"))
                let asked = query.get("period")
                if let asked { _ = try Self.period(asked) }
                return try await figures.body(
                    "dashboard|\(asked ?? "")|\(language.rawValue)", contentType: "application/json; charset=utf-8"
                ) {
                    snapshot in
                    let periods = snapshot.periods
                    let label = asked ?? periods.currentYear ?? Self.thisYear()
                    let period = try Self.period(label)
                    let report = try snapshot.report(period, catalog: catalog)
                    var object: [String: JSONValue] = [
                        "periods": periods.json, "dashboard": Dashboard(report: report).json(language: language),
                        "checkpointUrl": .string("/v1/public/checkpoints/\(snapshot.checkpoint.checkpoint.treeSize)"),
                        "witnesses": .array(try witnessNames(at: snapshot.checkpoint.checkpoint.treeSize).map { .string($0) }),
                    ]
                    // The current month too, so that the page's first view needs one request.
                    if asked == nil, let month = periods.currentMonth {
                        let monthly = try snapshot.report(try Self.period(month), catalog: catalog)
                        object["month"] = Dashboard(report: monthly).json(language: language)
                    }
                    return Array(JSONValue.object(object).canonicalString.utf8)
                }
            }
        }
        recorder.get(router, "/v1/public/reports") { request, _ in
            await publicBody(request) {
                try await figures.body("reports", contentType: "application/json; charset=utf-8") { snapshot in
                    let periods = snapshot.periods.years + snapshot.periods.months
                    let list: [JSONValue] = periods.map { period in
                        let base = "/v1/public/reports/\(period)"
                        return [
                            "period": .string(period), "html": .string(base + "?format=html"), "csv": .string(base + "?format=csv"),
                            "json": .string(base + "?format=json"),
                        ]
                    }
                    return Array(
                        JSONValue.object([
                            "checkpoint": .string(snapshot.checkpoint.text), "reports": .array(list),
                        ]).canonicalString.utf8)
                }
            }
        }
        recorder.get(router, "/v1/public/reports/{period}") { request, context in
            await publicBody(request) {
                let text = context.parameters.get("period") ?? ""
                let (period, format, language) = try Self.reportRequest(period: text, request.uri.queryParameters)
                let headers = Self.reportHeaders(format: format, period: text, language: language)
                return try await figures.body(
                    "report|\(period.from)|\(period.to)|\(period.label)|\(format.rawValue)|\(language.rawValue)",
                    contentType: headers[.contentType] ?? "text/plain", extraHeaders: headers
                ) { snapshot in
                    try snapshot.report(
                        period, catalog: catalog, importDays: try ImportDays.read(log, upTo: snapshot.checkpoint.checkpoint.treeSize),
                        cosignatures: try witnesses?.cosignatures(treeSize: snapshot.checkpoint.checkpoint.treeSize) ?? []
                    )
                    .rendered(as: format, language: language)
                }
            }
        }
        recorder.get(router, "/v1/public/checkpoints/{size}") { request, context in
            await publicBody(request) {
                let size = try integer(context.parameters.get("size"), "size", default: nil, range: 1...Int.max)
                return try await figures.body("checkpoint|\(size)", contentType: "text/plain; charset=utf-8") { _ in
                    guard let found = try log.newestCheckpoint(where: { $0.checkpoint.treeSize == UInt64(size) }) else {
                        throw APIError(
                            status: .notFound, code: "not_found",
                            message: "Bu boyutta imzalı bir kontrol noktası yok. / No checkpoint was signed at tree size \(size).")
                    }
                    return Array((try witnesses?.cosignedNote(found) ?? found.text).utf8)
                }
            }
        }
        recorder.get(router, "/v1/public/log/key") { request, _ in
            await publicBody(request) {
                try await figures.body("key", contentType: "application/json; charset=utf-8") { _ in
                    Array(
                        JSONValue.object([
                            "vkey": .string(log.verifierKey.vkey), "origin": .string(log.origin), "keyName": .string(log.verifierKey.name),
                            "keyId": .string(Hex.encode(log.verifierKey.keyID)),
                        ]).canonicalString.utf8)
                }
            }
        }
        recorder.get(router, "/v1/public/photos/{id}/{sha256}") { request, context in
            do {
                let id = try ticketID(context)
                let sha = context.parameters.get("sha256") ?? ""
                // Only a crew's "after" photo is public; the citizen's own photos never are.
                guard let photo = try await service.photoBytes(of: id, sha256: sha, roles: [.after]) else {
                    throw APIError(
                        status: .notFound, code: "not_found",
                        message:
                            "Bu başvurunun böyle bir yayımlanmış fotoğrafı yok. / Request \(id) has no published photo \(sha.prefix(64)).")
                }
                var response = Self.imageResponse(photo.bytes, mediaType: photo.mediaType)
                // Content-addressed, but an erasure deletes it: caches keep it five minutes at most.
                response.headers[.cacheControl] = "public, max-age=300"
                response.headers[.eTag] = "\"\(sha)\""
                if request.headers[.ifNoneMatch] == "\"\(sha)\"" { return Response(status: .notModified, headers: response.headers) }
                return response
            } catch {
                return errorResponse(error)
            }
        }
        recorder.get(router, "/v1/public/requests/{id}") { request, context in
            await trackingResponse(request, context) { view in
                var headers = HTTPFields()
                headers[.contentType] = "application/json; charset=utf-8"
                var object = view.json
                if case .object(var members) = object {
                    members["vkey"] = .string(log.verifierKey.vkey)
                    let erased = try projections.tickets.ticketView(view.ticket.id)?.personalDataErasedAt != nil
                    members["afterPhotos"] = .array(
                        (erased ? [] : view.afterPhotos).map { photo in
                            [
                                "sha256": .string(photo.sha256), "mediaType": .string(photo.mediaType),
                                "url": .string(Self.publicPhotoPath(view.ticket.id, photo.sha256)),
                            ]
                        })
                    object = .object(members)
                }
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: object.canonicalString)))
            }
        }
        recorder.get(router, "/v1/public/requests/{id}/proof") { request, context in
            await trackingResponse(request, context) { view in
                let seq = try integer(request.uri.queryParameters.get("seq"), "seq", default: nil, range: 1...Int.max)
                guard let text = view.tlogProof(sequence: UInt64(seq)) else {
                    throw APIError(
                        status: .notFound, code: "not_found",
                        message:
                            "Bu adımın indirilebilir kanıtı yok: henüz imzalı bir kontrol noktasına girmedi ya da içeriği yayımlanmıyor. / "
                            + "This step has no downloadable proof: no signed checkpoint covers it yet, or its content is not published.")
                }
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; charset=utf-8"
                headers[.contentDisposition] = "attachment; filename=\"\(view.ticket.id)-\(seq).tlog-proof\""
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            }
        }
    }

    /// Answers a public read with a cached body: 304 when the client has it, else the body with its
    /// ETag; public caches may keep it a minute (a new checkpoint changes the ETag).
    private func publicBody(_ request: Request, _ make: () async throws -> PublishedFigures.Body) async -> Response {
        do {
            let body = try await make()
            var headers = body.extraHeaders ?? HTTPFields()
            headers[.contentType] = body.contentType
            headers[.eTag] = body.etag
            headers[.cacheControl] = "public, max-age=60"
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            if let tags = request.headers[.ifNoneMatch],
                tags.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == body.etag })
            {
                return Response(status: .notModified, headers: headers)
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body.buffer))
        } catch let error as ReportBusyError {
            return errorResponse(APIError(status: .serviceUnavailable, code: "busy", message: error.description))
        } catch {
            return errorResponse(error)
        }
    }

    /// Looks a request up for its citizen: the ticket number and the last four digits of the phone
    /// it was made from. A wrong number and wrong digits get the same answer; a client that keeps
    /// failing is refused for a while, so numbers cannot be walked through.
    private func trackingResponse(
        _ request: Request, _ context: DefterRequestContext, _ make: (PublicRequest) async throws -> Response
    ) async -> Response {
        let client = RateLimiter.client(of: context)
        if let wait = trackingFailures.allows(client) { return RateLimiter.tooManyRequests(retryAfter: wait) }
        do {
            let notFound = APIError(
                status: .notFound, code: "not_found",
                message:
                    "Bu başvuru numarası ve telefonun son dört hanesiyle eşleşen bir başvuru bulunamadı; ikisini de kontrol edin. / "
                    + "No request matches this number and these last four digits of the phone; check both.")
            guard let digits = request.uri.queryParameters.get("phone4") else {
                throw APIError(
                    status: .badRequest, code: "bad_parameter",
                    message:
                        "Aradığınız telefonun son dört hanesini yazın (phone4=1234). / Give the last four digits of the phone you called from (phone4=1234)."
                )
            }
            guard digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw APIError(
                    status: .badRequest, code: "bad_parameter",
                    message: "Telefonun son dört hanesi dört rakamdır, örneğin 4567. / The last four digits are four digits, e.g. 4567.")
            }
            guard let text = context.parameters.get("id"), let id = try? TicketID(text) else {
                throw APIError(
                    status: .badRequest, code: "bad_parameter",
                    message: "Başvuru numarası 2025-000123 biçimindedir. / A request number looks like 2025-000123.")
            }
            guard try await service.callerPhone(of: id, endsWith: digits), let ticket = try await service.ticket(id) else {
                _ = trackingFailures.take(client)
                throw notFound
            }
            let newest = try log.newestCheckpoint()
            let history = try TicketHistory.load(id, from: log, provingAgainst: newest)
            var response = try await make(PublicRequest(ticket: ticket, history: history, catalog: catalog))
            // Only for the one who asked: no shared cache may keep it.
            response.headers[.cacheControl] = "no-store"
            response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return response
        } catch {
            return errorResponse(error)
        }
    }

    static func language(_ text: String?) throws -> ReportLanguage {
        guard let language = ReportLanguage(rawValue: text ?? "tr") else {
            throw APIError(status: .badRequest, code: "bad_parameter", message: "lang must be tr or en")
        }
        return language
    }

    static func period(_ text: String) throws -> ReportPeriod {
        do { return try ReportPeriod(parsing: text) } catch {
            throw APIError(
                status: .badRequest, code: "bad_parameter",
                message: "Dönem anlaşılamadı: bir yıl (2025), bir ay (2025-03) ya da gün aralığı (2025-01-01..2025-06-30) yazın. / \(error)"
            )
        }
    }

    /// The names of the witnesses that cosigned the checkpoint of `treeSize` (C2SP tlog-cosignature).
    func witnessNames(at treeSize: UInt64) throws -> [String] {
        try (witnesses?.cosignatures(treeSize: treeSize) ?? []).compactMap(CosignerVerifierKey.signer(of:))
    }

    /// Where the public reads a crew's "after" photo.
    static func publicPhotoPath(_ ticket: TicketID, _ sha256: String) -> String { "/v1/public/photos/\(ticket.rawValue)/\(sha256)" }

    static func thisYear() -> String { String(Calendar.istanbul.component(.year, from: Date())) }
}
