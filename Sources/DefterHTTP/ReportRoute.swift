import DefterLog
import DefterTransparency
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

extension DefterAPI {
    /// `GET /v1/reports/{period}?format=html|md|csv|json&lang=tr|en`: the period's accountability
    /// report, computed as `defter report` computes it (the statistics' facts at a signed
    /// checkpoint of exactly the entries they cover, signed at that size when the newest is not
    /// that one), so the same log gives the same bytes either way.
    func registerReports(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        recorder.get(router, "/v1/reports/{period}") { request, context in
            do {
                _ = try authorize(request, { [.officer, .auditor, .admin].contains($0) })
                let text = context.parameters.get("period") ?? ""
                let (period, format, language) = try Self.reportRequest(period: text, request.uri.queryParameters)
                let (checkpoint, facts) = try await AccountabilityReport.factsAtCheckpoint(projections: projections, log: log)
                let report = AccountabilityReport(
                    facts: facts, period: period, checkpoint: checkpoint, catalog: catalog,
                    importDays: try ImportDays.read(log, upTo: checkpoint.checkpoint.treeSize),
                    cosignatures: try witnesses?.cosignatures(treeSize: checkpoint.checkpoint.treeSize) ?? [])
                let headers = Self.reportHeaders(format: format, period: text, language: language)
                return Response(
                    status: .ok, headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: report.rendered(as: format, language: language))))
            } catch let error as ReportBusyError {
                return errorResponse(APIError(status: .serviceUnavailable, code: "busy", message: error.description))
            } catch {
                return errorResponse(error)
            }
        }
    }

    /// A report's headers: its type, a policy that lets no script run (its JSON block is data), and
    /// how a browser saves it.
    static func reportHeaders(format: ReportFormat, period: String, language: ReportLanguage) -> HTTPFields {
        let name = "report-\(period.replacingOccurrences(of: "..", with: "_")).\(language.rawValue).\(format.rawValue)"
        var headers = HTTPFields()
        headers[.contentType] =
            switch format {
            case .html: "text/html; charset=utf-8"
            case .md: "text/markdown; charset=utf-8"
            case .csv: "text/csv; charset=utf-8"
            case .json: "application/json; charset=utf-8"
            }
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.contentDisposition] = "\(format == .html ? "inline" : "attachment"); filename=\"\(name)\""
        return headers
    }

    /// The period, format and language a report request asks for (`{period}?format=&lang=`).
    static func reportRequest(period text: String, _ query: FlatDictionary<Substring, Substring>) throws -> (
        ReportPeriod, ReportFormat, ReportLanguage
    ) {
        let period = try Self.period(text)
        guard let format = ReportFormat(rawValue: query.get("format") ?? "html") else {
            throw APIError(
                status: .badRequest, code: "bad_parameter",
                message: "Biçim html, md, csv ya da json olmalı. / format must be html, md, csv or json")
        }
        guard let language = ReportLanguage(rawValue: query.get("lang") ?? "tr") else {
            throw APIError(status: .badRequest, code: "bad_parameter", message: "Dil tr ya da en olmalı. / lang must be tr or en")
        }
        return (period, format, language)
    }
}
