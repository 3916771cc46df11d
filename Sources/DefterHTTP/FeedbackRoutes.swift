import DefterDomain
import DefterTickets
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// The citizen's feedback on a resolution, reached from the link in the resolution's message:
// `GET /geri-bildirim/{id}?t=TOKEN` is a server-rendered Turkish form (no script), its POST
// records `FeedbackReceived`, and `POST /v1/public/feedback/{id}` does the same for apps, in
// JSON. The token (an HMAC of the ticket and the resolution's sequence) is the only credential.

extension DefterAPI {
    func registerFeedback(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        // The pages are HTML for people, not API: like the console's files they are not in
        // the OpenAPI document.
        router.get("/geri-bildirim/{id}") { request, context in
            await feedbackPage {
                let id = try pageTicketID(context)
                let token = request.uri.queryParameters.get("t") ?? ""
                _ = try await service.checkFeedbackLink(id, token: token)
                return (.ok, Self.feedbackForm(id, token: token))
            }
        }
        router.post("/geri-bildirim/{id}") { request, context in
            await feedbackPage {
                let id = try pageTicketID(context)
                let form = Self.urlEncodedForm(try await body(request, context, allowEmpty: true))
                guard let satisfaction = form["puan"].flatMap(Int.init), (1...5).contains(satisfaction) else {
                    throw FeedbackPageError(.badRequest, "Lütfen 1 ile 5 arasında bir puan seçin.", "Choose a rating from 1 to 5.")
                }
                let fixed: Bool? =
                    switch form["cozuldu"] {
                    case "evet": true
                    case "hayir": false
                    default: nil
                    }
                let result = try await service.recordFeedback(id, token: form["t"] ?? "", satisfaction: satisfaction, fixed: fixed)
                return (.ok, Self.thanksPage(id, reopened: result.reopened))
            }
        }
        recorder.post(router, "/v1/public/feedback/{id}") { request, context in
            await respond {
                let id = try ticketID(context)
                let fields = try await object(try await body(request, context))
                try Self.requireOnly(fields, ["token", "satisfaction", "fixed"])
                guard case .string(let token)? = fields["token"] else {
                    throw APIError(status: .badRequest, code: "bad_input", message: "token is required: the t= of the feedback link")
                }
                guard case .integer(let satisfaction)? = fields["satisfaction"], (1...5).contains(satisfaction) else {
                    throw APIError(status: .badRequest, code: "bad_input", message: "satisfaction must be an integer from 1 to 5")
                }
                var fixed: Bool?
                switch fields["fixed"] {
                case .bool(let value)?: fixed = value
                case nil, .null?: fixed = nil
                default: throw APIError(status: .badRequest, code: "bad_input", message: "fixed must be true, false or absent")
                }
                do {
                    let result = try await service.recordFeedback(id, token: token, satisfaction: Int(satisfaction), fixed: fixed)
                    return ["ticket": .string(id.rawValue), "recorded": true, "reopened": .bool(result.reopened)]
                } catch let error as FeedbackError {
                    let (status, code) = Self.classify(feedback: error)
                    throw APIError(status: status, code: code, message: error.description)
                }
            }
        }
    }

    static func classify(feedback error: FeedbackError) -> (HTTPResponse.Status, String) {
        switch error {
        case .unknownTicket: (.notFound, "not_found")
        case .badToken: (.forbidden, "bad_token")
        case .notResolved: (.conflict, "not_resolved")
        case .alreadyAnswered: (.conflict, "already_answered")
        }
    }

    private func pageTicketID(_ context: DefterRequestContext) throws -> TicketID {
        do { return try TicketID(context.parameters.get("id") ?? "") } catch {
            throw FeedbackPageError(.notFound, "Böyle bir başvuru numarası yok.", "There is no such request number.")
        }
    }

    /// Runs `body` and answers with its HTML page, or with a page that says, in Turkish first,
    /// what went wrong and what to do; an unexpected error is logged and never shown.
    private func feedbackPage(_ body: () async throws -> (HTTPResponse.Status, String)) async -> Response {
        let status: HTTPResponse.Status
        let html: String
        do {
            (status, html) = try await body()
        } catch let error as FeedbackPageError {
            (status, html) = (error.status, Self.messagePage(error.turkish, error.english))
        } catch let error as FeedbackError {
            let (code, _) = Self.classify(feedback: error)
            let (turkish, english) =
                switch error {
                case .unknownTicket: ("Böyle bir başvuru yok.", "There is no such request.")
                case .badToken:
                    (
                        "Bu geri bildirim bağlantısı geçerli değil. Lütfen size gönderilen son mesajdaki bağlantıyı kullanın.",
                        "This feedback link is not valid; use the link in the latest message you received."
                    )
                case .notResolved:
                    (
                        "Bu başvuru şu anda çözülmüş durumda değil; değerlendirilecek bir çözüm yok.",
                        "This request is not resolved now; there is nothing to rate."
                    )
                case .alreadyAnswered:
                    (
                        "Bu çözüm için geri bildiriminiz zaten kaydedildi. Teşekkür ederiz.",
                        "Your feedback on this resolution was already recorded. Thank you."
                    )
                }
            (status, html) = (code, Self.messagePage(turkish, english))
        } catch let error as APIError where error.status == .contentTooLarge {
            (status, html) = (.contentTooLarge, Self.messagePage("Gönderilen form çok büyük.", "The form sent is too large."))
        } catch {
            let (code, _) = Self.classify(error)
            if code == .internalServerError { logFailure(error) }
            (status, html) = (
                code == .internalServerError ? .internalServerError : code,
                Self.messagePage(
                    "Geri bildiriminiz şu anda kaydedilemedi. Lütfen daha sonra yeniden deneyin.",
                    "Your feedback could not be recorded now; please try again later.")
            )
        }
        var headers = HTTPFields()
        for (name, value) in ConsoleFiles.securityHeaders { headers[name] = value }
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The fields of an `application/x-www-form-urlencoded` body (the last of repeated names).
    static func urlEncodedForm(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func page(title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="tr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        </head>
        <body>
        <main>
        <h1>ALO 153</h1>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    static func feedbackForm(_ id: TicketID, token: String) -> String {
        let ratings = (1...5).map { value in
            "<label><input type=\"radio\" name=\"puan\" value=\"\(value)\" required> \(value)</label>"
        }.joined(separator: "\n")
        return page(
            title: "Geri bildirim: \(id)",
            """
            <p><strong>\(escape(id.rawValue))</strong> numaralı başvurunuz çözüldü olarak bildirildi. Hizmetimizi değerlendirir misiniz?</p>
            <form method="post" action="/geri-bildirim/\(escape(id.rawValue))">
            <input type="hidden" name="t" value="\(escape(token))">
            <fieldset>
            <legend>Memnuniyetiniz (1: hiç memnun değilim, 5: çok memnunum)</legend>
            \(ratings)
            </fieldset>
            <fieldset>
            <legend>Sorun gerçekten çözüldü mü?</legend>
            <label><input type="radio" name="cozuldu" value="evet" required> Evet</label>
            <label><input type="radio" name="cozuldu" value="hayir"> Hayır</label>
            </fieldset>
            <p><button type="submit">Gönder</button></p>
            </form>
            <p lang="en">Request \(escape(id.rawValue)) was reported resolved: rate it from 1 to 5 and say whether it was really fixed.</p>
            """)
    }

    static func thanksPage(_ id: TicketID, reopened: Bool) -> String {
        let turkish =
            reopened
            ? "Geri bildiriminiz kaydedildi. Sorun çözülmediği için \(id) numaralı başvurunuz yeniden açıldı ve ilgili birime iletildi."
            : "Geri bildiriminiz kaydedildi. Teşekkür ederiz."
        let english =
            reopened
            ? "Your feedback is recorded. As it was not fixed, request \(id) was reopened and sent back to the department."
            : "Your feedback is recorded. Thank you."
        return messagePage(turkish, english, title: "Teşekkürler: \(id)")
    }

    static func messagePage(_ turkish: String, _ english: String, title: String = "Geri bildirim") -> String {
        page(title: title, "<p>\(escape(turkish))</p>\n<p lang=\"en\">\(escape(english))</p>")
    }
}

/// A feedback page's answer for a request a person got wrong: a status and what to do, in Turkish
/// and in English.
struct FeedbackPageError: Error {
    let status: HTTPResponse.Status
    let turkish: String
    let english: String

    init(_ status: HTTPResponse.Status, _ turkish: String, _ english: String) {
        self.status = status
        self.turkish = turkish
        self.english = english
    }
}
