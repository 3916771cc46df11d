import DefterDomain
import DefterHTTP
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A caller who gave everything a citizen can give: none of it may reach a public page.
let fatmasCall =
    #"{"callId":"tel-fatma","channel":"phone","operatorId":"op-7","district":"Onikişubat","neighbourhood":"Yenişehir","caller":{"name":"Fatma Yıldırımoğlu","phone":"0533 444 55 66","email":"fatma.y@example.com","address":"Atatürk Cd. No 12 D 4","text":"Sokağımızdaki çöp konteyneri üç gündür boşaltılmadı, koku dayanılmaz"}}"#

/// The same values as they appear normalised, and pieces a leak would show.
let fatmasSecrets = [
    "Fatma", "Yıldırımoğlu", "+905334445566", "0533 444 55 66", "444 55 66", "fatma.y@example.com", "Atatürk Cd", "konteyneri üç gündür",
]

/// Records a call and returns its ticket number.
func record(_ body: String, _ client: some TestClientProtocol, _ h: Harness) async throws -> String {
    try await client.execute(uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: body)) {
        json($0.body)["ticket"]?.stringValue ?? ""
    }
}

@Suite struct PublicDashboardTests {
    @Test("the dashboard's data needs no token, names its checkpoint, and carries the report defter report computes")
    func dashboardIsTheReport() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                _ = try await record(fatmasCall, client, h)
                _ = try await recordPothole(client, h)
                let year = String(Calendar.istanbul.component(.year, from: Date()))
                let dashboard = try await client.execute(uri: "/v1/public/dashboard?period=\(year)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "public, max-age=60")
                    #expect(response.headers[.eTag] != nil)
                    return json(response.body)
                }
                let report = dashboard["dashboard"]?["report"]
                #expect(report?["headline"]?["calls"] == 2)
                #expect(report?["headline"]?["ticketsOpened"] == 2)
                let size = try #require(report?["checkpoint"]?["treeSize"]?.integerValue)
                #expect(dashboard["checkpointUrl"]?.stringValue == "/v1/public/checkpoints/\(size)")
                // The staff report of the same period at the same checkpoint has the same headline.
                let staff = try await client.execute(
                    uri: "/v1/reports/\(year)?format=json", method: .get, headers: headers(h.officerToken)
                ) { json($0.body) }
                #expect(staff["checkpoint"]?["treeSize"]?.integerValue == size)
                #expect(staff["headline"] == report?["headline"])
                #expect(staff["byDepartment"] == report?["byDepartment"])
                // The checkpoint the figures name is public and signed.
                try await client.execute(uri: "/v1/public/checkpoints/\(size)", method: .get) { response in
                    #expect(response.status == .ok)
                    let note = String(buffer: response.body)
                    #expect(note.contains("\n\(size)\n"))
                    #expect(note.contains("\n\u{2014} "))
                }
            }
        }
    }

    @Test("a reader with the current figures gets 304; a new publication changes the ETag")
    func conditionalReads() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                _ = try await recordPothole(client, h)
                let etag = try await client.execute(uri: "/v1/public/dashboard", method: .get) { try #require($0.headers[.eTag]) }
                var conditional = HTTPFields()
                conditional[.ifNoneMatch] = etag
                try await client.execute(uri: "/v1/public/dashboard", method: .get, headers: conditional) { response in
                    #expect(response.status == .notModified)
                    #expect(response.body.readableBytes == 0)
                }
                // The log grows and a checkpoint is published: the old ETag no longer matches.
                _ = try await record(fatmasCall, client, h)
                try await h.api.figures.publish()
                try await client.execute(uri: "/v1/public/dashboard", method: .get, headers: conditional) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.eTag] != etag)
                    #expect(json(response.body)["dashboard"]?["report"]?["headline"]?["calls"] == 2)
                }
            }
        }
    }

    @Test("the published reports are listed with HTML, CSV and JSON, and served without a token")
    func publishedReports() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                _ = try await recordPothole(client, h)
                let list = try await client.execute(uri: "/v1/public/reports", method: .get) { json($0.body) }
                let first = try #require(list["reports"]?[0])
                for format in ["html", "csv", "json"] {
                    let url = try #require(first[format]?.stringValue)
                    try await client.execute(uri: url, method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentType]?.contains(format == "html" ? "text/html" : format) == true)
                    }
                }
            }
        }
    }

    @Test("a period that is not one is refused in words", arguments: ["2025-13", "yesterday", "2025-02-30..2025-03-01"])
    func badPeriod(period: String) async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/v1/public/dashboard?period=\(period)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)["error"] == "bad_parameter")
                    // Turkish first, then the English of what was wrong.
                    #expect(json(response.body)["message"]?.stringValue?.hasPrefix("Dönem anlaşılamadı") == true)
                }
            }
        }
    }

    @Test("the dashboard and tracking pages are served with the console's security headers")
    func pages() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                for path in ["/", "/takip", "/public/js/dashboard.js", "/public/css/public.css"] {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok, "\(path)")
                        #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
                    }
                }
                try await client.execute(uri: "/public/nothing-here.js", method: .get) { #expect($0.status == .notFound) }
            }
        }
    }
}

@Suite struct PublicTrackingTests {
    @Test("the caller's number and last four digits show the request's status and timeline, with proofs")
    func tracking() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await record(fatmasCall, client, h)
                _ = try await h.log.checkpoint()
                let view = try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=5566", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "no-store")
                    return json(response.body)
                }
                #expect(view["ticket"]?.stringValue == ticket)
                #expect(view["department"] == "temizlik")
                #expect(view["expectedBy"] != .null)
                let types = view["timeline"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
                #expect(types == ["CallReceived", "TicketOpened", "TicketRouted"])
                let first = try #require(view["timeline"]?[0])
                // The entry hashes to its leaf, and its path leads to the checkpoint's root.
                let entry = try #require(first["entry"]?.stringValue.flatMap { Data(base64Encoded: $0) })
                #expect(MerkleHash.leaf(Array(entry)).base64 == first["leafHash"]?.stringValue)
                #expect(first["proof"]?["path"]?.arrayValue?.isEmpty == false)
            }
        }
    }

    @Test("wrong digits and an unknown number get the same answer")
    func sameAnswer() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await record(fatmasCall, client, h)
                let wrongDigits = try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=5567", method: .get) { response in
                    (response.status, String(buffer: response.body))
                }
                let unknown = try await client.execute(uri: "/v1/public/requests/2019-999999?phone4=5566", method: .get) { response in
                    (response.status, String(buffer: response.body))
                }
                #expect(wrongDigits.0 == .notFound)
                #expect(wrongDigits == unknown)
                #expect(wrongDigits.1.contains("bulunamadı"))
            }
        }
    }

    @Test("digits that are not four digits, or a malformed number, are refused in words", arguments: ["55a6", "556", "55666", ""])
    func badDigits(digits: String) async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await record(fatmasCall, client, h)
                try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=\(digits)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)["message"]?.stringValue?.contains("dört") == true)
                }
            }
        }
    }

    @Test("a client that keeps guessing is refused with 429 and Retry-After, even with the right digits")
    func guessingIsLimited() async throws {
        try await withAPI(trackingFailures: RateLimiter(perSecond: 1.0 / 60, burst: 3)) { h in
            try await h.app.test(.router) { client in
                let ticket = try await record(fatmasCall, client, h)
                for digits in ["0000", "0001", "0002"] {
                    try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=\(digits)", method: .get) {
                        #expect($0.status == .notFound)
                    }
                }
                try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=5566", method: .get) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                    #expect(json(response.body)["message"]?.stringValue?.contains("saniye") == true)
                }
            }
        }
    }

    @Test("a step downloads as a C2SP tlog-proof whose path checks against its signed checkpoint")
    func tlogProof() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await record(fatmasCall, client, h)
                let checkpoint = try await h.log.checkpoint()
                let view = try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=5566", method: .get) { json($0.body) }
                let seq = try #require(view["timeline"]?[1]?["seq"]?.integerValue)
                let text = try await client.execute(uri: "/v1/public/requests/\(ticket)/proof?seq=\(seq)&phone4=5566", method: .get) {
                    response in
                    #expect(response.headers[.contentDisposition]?.contains(".tlog-proof") == true)
                    return String(buffer: response.body)
                }
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                #expect(lines[0] == "c2sp.org/tlog-proof@v1")
                #expect(lines[1].hasPrefix("extra "))
                #expect(lines[2] == "index \(seq - 1)")
                let blank = try #require(lines.firstIndex(of: ""))
                let note = lines[(blank + 1)...].joined(separator: "\n")
                #expect(note == checkpoint.text)
                // The file's entry is the log's, and its path is the log's proof of it, which verifies.
                let entry = try #require(Data(base64Encoded: String(lines[1].dropFirst(6))))
                #expect(try h.log.entry(at: UInt64(seq))?.bytes == Array(entry))
                let proof = try h.log.inclusionProof(sequence: UInt64(seq), treeSize: checkpoint.checkpoint.treeSize)
                #expect(proof.leafHash == MerkleHash.leaf(Array(entry)))
                #expect(Array(lines[3..<blank]) == proof.path.map(\.base64))
                #expect(throws: Never.self) { try proof.verify() }
            }
        }
    }
}

@Suite struct PublicPrivacyTests {
    @Test("no public response carries the caller's name, phone, e-mail, address or words")
    func noPersonalData() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await record(fatmasCall, client, h)
                _ = try await h.log.checkpoint()
                let year = String(Calendar.istanbul.component(.year, from: Date()))
                let view = try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=5566", method: .get) { json($0.body) }
                let seqs = view["timeline"]?.arrayValue?.compactMap { $0["seq"]?.integerValue } ?? []
                var paths = [
                    "/", "/takip", "/v1/public/dashboard", "/v1/public/dashboard?period=\(year)&lang=en", "/v1/public/reports",
                    "/v1/public/reports/\(year)?format=html", "/v1/public/reports/\(year)?format=csv",
                    "/v1/public/reports/\(year)?format=json", "/v1/public/log/key", "/v1/public/requests/\(ticket)?phone4=5566",
                ]
                paths += seqs.map { "/v1/public/requests/\(ticket)/proof?seq=\($0)&phone4=5566" }
                for path in paths {
                    let body = try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok, "\(path)")
                        return String(buffer: response.body)
                    }
                    // Entries travel as base64: look inside them too.
                    var texts = [body]
                    for word in body.split(whereSeparator: { " \n\",:[]{}".contains($0) }) where word.count > 40 {
                        if let decoded = Data(base64Encoded: String(word)), let text = String(data: decoded, encoding: .utf8) {
                            texts.append(text)
                        }
                    }
                    for secret in fatmasSecrets {
                        #expect(!texts.contains { $0.contains(secret) }, "\(path) shows \(secret)")
                    }
                }
            }
        }
    }
}

@Suite struct RateLimitTests {
    @Test("a client past its burst gets 429 with Retry-After; staff endpoints are not limited here")
    func publicLimit() async throws {
        try await withAPI(publicLimiter: RateLimiter(perSecond: 0.01, burst: 3)) { h in
            try await h.app.test(.router) { client in
                for _ in 0..<3 {
                    try await client.execute(uri: "/v1/public/log/key", method: .get) { #expect($0.status == .ok) }
                }
                try await client.execute(uri: "/v1/public/log/key", method: .get) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                }
                try await client.execute(uri: "/", method: .get) { #expect($0.status == .tooManyRequests) }
                try await client.execute(uri: "/v1/log/key", method: .get, headers: headers(h.auditorToken)) { #expect($0.status == .ok) }
            }
        }
    }

    @Test("a bucket refills at its rate, up to its burst, and tells how long to wait")
    func buckets() {
        let limiter = RateLimiter(perSecond: 2, burst: 2)
        let start = ContinuousClock.now
        #expect(limiter.take("a", now: start) == nil)
        #expect(limiter.take("a", now: start) == nil)
        let wait = limiter.take("a", now: start)
        #expect(wait == .milliseconds(500))
        #expect(limiter.take("b", now: start) == nil)
        #expect(limiter.take("a", now: start + .milliseconds(500)) == nil)
        // A long quiet spell refills only up to the burst.
        #expect(limiter.take("a", now: start + .seconds(60)) == nil)
        #expect(limiter.take("a", now: start + .seconds(60)) == nil)
        #expect(limiter.take("a", now: start + .seconds(60)) != nil)
    }
}

extension JSONValue {
    fileprivate var arrayValue: [JSONValue]? {
        guard case .array(let items) = self else { return nil }
        return items
    }
}
