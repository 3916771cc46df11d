import DefterDomain
import DefterHTTP
import DefterTickets
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct FeedbackRouteTests {
    /// A pothole ticket acknowledged and resolved by roads; returns it and its feedback token.
    func resolvedPothole(_ client: some TestClientProtocol, _ h: Harness) async throws -> (String, String) {
        let ticket = try await recordPothole(client, h)
        try await client.execute(uri: "/v1/tickets/\(ticket)/acknowledge", method: .post, headers: headers(h.roadsToken)) {
            #expect($0.status == .ok)
        }
        try await client.execute(
            uri: "/v1/tickets/\(ticket)/resolve", method: .post, headers: headers(h.roadsToken),
            body: ByteBuffer(string: #"{"code": "patched", "note": "Çukur kapatıldı."}"#)
        ) { #expect($0.status == .ok) }
        let id = try TicketID(ticket)
        let resolution = try #require(try await h.service.latestResolution(of: id))
        return (ticket, try h.service.feedbackTokens.token(ticket: id, resolution: resolution))
    }

    @Test("the link opens a Turkish form without script, under the console's security headers")
    func form() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let (ticket, token) = try await resolvedPothole(client, h)
                try await client.execute(uri: "/geri-bildirim/\(ticket)?t=\(token)", method: .get) { response in
                    let page = String(buffer: response.body)
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
                    #expect(response.headers[.cacheControl] == "no-store")
                    #expect(page.contains("gerçekten çözüldü mü?") && page.contains(#"name="puan" value="5""#))
                    #expect(page.contains(#"<input type="hidden" name="t" value="\#(token)">"#))
                    #expect(!page.contains("<script") && !page.contains("style="))
                }
            }
        }
    }

    @Test("a wrong token, an unknown ticket and a bad rating get a Turkish page with the right status, never a 500")
    func refusals() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let (ticket, token) = try await resolvedPothole(client, h)
                try await client.execute(uri: "/geri-bildirim/\(ticket)?t=x\(token)", method: .get) { response in
                    #expect(response.status == .forbidden)
                    #expect(String(buffer: response.body).contains("Bu geri bildirim bağlantısı geçerli değil"))
                }
                try await client.execute(uri: "/geri-bildirim/2099-999999?t=\(token)", method: .get) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/geri-bildirim/not-a-ticket", method: .get) { #expect($0.status == .notFound) }
                var form = HTTPFields()
                form[.contentType] = "application/x-www-form-urlencoded"
                try await client.execute(
                    uri: "/geri-bildirim/\(ticket)", method: .post, headers: form,
                    body: ByteBuffer(string: "t=\(token)&puan=9&cozuldu=evet")
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("1 ile 5 arasında"))
                }
            }
        }
    }

    @Test("the form's 'not fixed' reopens the ticket; the same link cannot answer again")
    func formReopens() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let (ticket, token) = try await resolvedPothole(client, h)
                var form = HTTPFields()
                form[.contentType] = "application/x-www-form-urlencoded"
                let body = "t=\(token)&puan=2&cozuldu=hayir"
                try await client.execute(uri: "/geri-bildirim/\(ticket)", method: .post, headers: form, body: ByteBuffer(string: body)) {
                    #expect($0.status == .ok)
                    #expect(String(buffer: $0.body).contains("yeniden açıldı"))
                }
                #expect(try await h.service.ticket(TicketID(ticket))?.status == .routed)
                try await client.execute(uri: "/geri-bildirim/\(ticket)", method: .post, headers: form, body: ByteBuffer(string: body)) {
                    #expect($0.status == .conflict)
                }
            }
        }
    }

    @Test("the JSON variant records 'fixed' without reopening, and refuses a second answer with 409")
    func json() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let (ticket, token) = try await resolvedPothole(client, h)
                let body = ByteBuffer(string: #"{"token": "\#(token)", "satisfaction": 5, "fixed": true}"#)
                try await client.execute(uri: "/v1/public/feedback/\(ticket)", method: .post, body: body) { response in
                    #expect(response.status == .ok)
                    #expect(DefterHTTPTests.json(response.body)["reopened"] == .bool(false))
                }
                #expect(try await h.service.ticket(TicketID(ticket))?.satisfaction == 5)
                try await client.execute(uri: "/v1/public/feedback/\(ticket)", method: .post, body: body) { response in
                    #expect(response.status == .conflict)
                    #expect(DefterHTTPTests.json(response.body)["error"] == .string("already_answered"))
                }
                let forged = ByteBuffer(string: #"{"token": "AAAAAAAAAAAAAAAAAAAAAA", "satisfaction": 1}"#)
                try await client.execute(uri: "/v1/public/feedback/\(ticket)", method: .post, body: forged) {
                    #expect($0.status == .forbidden)
                }
            }
        }
    }
}
