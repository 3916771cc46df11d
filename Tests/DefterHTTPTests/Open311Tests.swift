import DefterDomain
import DefterHTTP
import DefterLog
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A pothole reported through a city app: everything Open311 lets a citizen send.
func potholeReport(_ key: String, extra: [(String, String)] = []) -> ByteBuffer {
    form(
        [
            ("api_key", key), ("service_code", "fen-isleri.yol-cukuru"), ("lat", "38.2061"), ("long", "37.1979"),
            ("address_string", "Kümbet Mah. Atatürk Cd. No 12, Elbistan"),
            ("description", "Caddede derin bir çukur var, araçlar zarar görüyor"),
            ("first_name", "Ayşe"), ("last_name", "Yılmaz"), ("phone", "0532 111 22 33"), ("email", "ayse@example.com"),
            ("attribute[neighbourhood]", "Kümbet"),
        ] + extra)
}

/// Submits a report and returns its service request id.
func submit(_ client: some TestClientProtocol, _ body: ByteBuffer) async throws -> String {
    try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formHeaders, body: body) { response in
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return json(response.body)[0]?["service_request_id"]?.stringValue ?? ""
    }
}

extension JSONValue {
    subscript(_ index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    var count: Int {
        if case .array(let items) = self { return items.count }
        return 0
    }
}

@Suite struct Open311ServiceTests {
    @Test("services are the catalog's categories, grouped by department, in JSON and XML")
    func services() async throws {
        let schemas = Open311SchemaCheck()
        try await withAPI { h in
            let categories = h.catalog.openCategories
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/open311/v2/services.json", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    let body = json(response.body)
                    #expect(body.count == categories.count)
                    #expect(body[0]?["service_code"] == .string(categories[0].id.rawValue))
                    #expect(body[0]?["service_name"] == .string(categories[0].name))
                    #expect(body[0]?["description"] == .string(categories[0].gloss))
                    #expect(body[0]?["group"] == .string(h.catalog.departments[0].name))
                    #expect(body[0]?["type"] == "realtime")
                    schemas.expect(response.body, matches: "services.json", "GET services.json")
                }
                try await client.execute(uri: "/open311/v2/services.xml", method: .get) { response in
                    #expect(response.headers[.contentType]?.hasPrefix("text/xml") == true)
                    let names = try #require(xmlElements(response.body))
                    #expect(names.first == "services")
                    #expect(names.filter { $0 == "service" }.count == categories.count)
                    #expect(String(buffer: response.body).contains("<service_code>\(categories[0].id.rawValue)</service_code>"))
                }
            }
        }
        try schemas.validate()
    }

    @Test("a service definition offers the neighbourhood attribute; an unknown code is 404 as the standard writes it")
    func definitions() async throws {
        let schemas = Open311SchemaCheck()
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/open311/v2/services/temizlik.cop-toplama.json", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["attributes"]?[0]?["code"] == "neighbourhood")
                    schemas.expect(response.body, matches: "service-definition.json", "GET services/temizlik.cop-toplama.json")
                }
                try await client.execute(uri: "/open311/v2/services/temizlik.cop-toplama.xml", method: .get) { response in
                    #expect(xmlElements(response.body)?.prefix(2) == ["service_definition", "service_code"])
                }
                try await client.execute(uri: "/open311/v2/services/uzay.roket.json", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(json(response.body)[0]?["code"] == "404")
                    #expect(json(response.body)[0]?["description"]?.stringValue?.contains("uzay.roket") == true)
                }
                try await client.execute(uri: "/open311/v2/services/uzay.roket.xml", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(xmlElements(response.body) == ["errors", "error", "code", "description"])
                    #expect(String(buffer: response.body).contains("<code>404</code>"))
                }
                try await client.execute(uri: "/open311/v2/services.json?jurisdiction_id=istanbul.bel.tr", method: .get) {
                    #expect($0.status == .notFound)
                }
                try await client.execute(uri: "/open311/v2/services.json?jurisdiction_id=", method: .get) { #expect($0.status == .ok) }
            }
        }
        try schemas.validate()
    }

    @Test("discovery names the endpoint and both formats")
    func discovery() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/open311/v2/discovery.json", method: .get) { response in
                    let endpoint = json(response.body)["endpoints"]?[0]
                    #expect(endpoint?["specification"] == "http://wiki.open311.org/GeoReport_v2")
                    #expect(
                        endpoint?["formats"] == ["text/xml", "application/json"]
                            || endpoint?["formats"] == ["application/json", "text/xml"])
                    #expect(endpoint?["url"]?.stringValue?.hasSuffix("/open311/v2") == true)
                }
                try await client.execute(uri: "/open311/v2/discovery.xml", method: .get) { response in
                    #expect(xmlElements(response.body)?.first == "discovery")
                }
            }
        }
    }
}

@Suite struct Open311RequestTests {
    @Test("a submitted request becomes a ticket through intake; the submitter's data is sealed and in no Open311 response")
    func submitAndRead() async throws {
        let schemas = Open311SchemaCheck()
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let id = try await submit(client, potholeReport(h.open311Token))
                #expect(id.hasSuffix("-000001"))
                var bodies: [String] = []
                for path in ["requests/\(id).json", "requests/\(id).xml", "requests.json?extensions=true", "tokens/\(id).json"] {
                    try await client.execute(uri: "/open311/v2/\(path)", method: .get) { response in
                        #expect(response.status == .ok, "\(path)")
                        bodies.append(String(buffer: response.body))
                    }
                }
                try await client.execute(uri: "/open311/v2/requests/\(id).json", method: .get) { response in
                    let request = try #require(json(response.body)[0])
                    #expect(request["status"] == "open")
                    #expect(request["service_code"] == "fen-isleri.yol-cukuru")
                    #expect(request["agency_responsible"] == .string(h.catalog.department(DepartmentID(unchecked: "fen-isleri"))!.name))
                    #expect(request["expected_datetime"]?.stringValue?.hasSuffix("+03:00") == true)
                    #expect(request["requested_datetime"]?.stringValue?.hasSuffix("+03:00") == true)
                    #expect(request["address"] == "Kümbet, Elbistan, Kahramanmaraş")
                    #expect(request["lat"] == .null && request["description"] == .null)
                    schemas.expect(response.body, matches: "requests.json", "GET requests/\(id).json")
                }
                for secret in ["Ayşe", "Yılmaz", "532", "ayse@example.com", "araçlar zarar", "Atatürk", "38.2061"] {
                    #expect(!bodies.contains { $0.contains(secret) }, "'\(secret)' must not be in an Open311 response")
                }
                try await client.execute(
                    uri: "/v1/tickets/\(id)/personal-data?reason=geri-arama", method: .get, headers: headers(h.operatorToken)
                ) { response in
                    let data = json(response.body)["personalData"]
                    #expect(data?["name"] == "Ayşe Yılmaz")
                    #expect(data?["phone"] == "+905321112233")
                    #expect(data?["email"] == "ayse@example.com")
                    #expect(data?["address"] == "Kümbet Mah. Atatürk Cd. No 12, Elbistan")
                }
                try await client.execute(uri: "/v1/tickets/\(id)", method: .get, headers: headers(h.auditorToken)) { response in
                    #expect(json(response.body)["district"] == "Elbistan")
                    #expect(json(response.body)["channel"] == "web")
                    #expect(json(response.body)["department"] == "fen-isleri")
                }
            }
            let stored = try h.log.entries(from: 1, limit: 100).map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
            #expect(!stored.contains("Yılmaz") && !stored.contains("ayse@"), "the log holds the personal data sealed only")
        }
        try schemas.validate()
    }

    @Test("a point without a named district is placed in the district whose seat is nearest")
    func placedByCoordinates() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let body = form([
                    ("api_key", h.operatorToken), ("service_code", "temizlik.cop-toplama"), ("lat", "38.245"), ("long", "36.915"),
                    ("description", "Konteyner taştı"),
                ])
                let id = try await submit(client, body)
                try await client.execute(uri: "/open311/v2/requests/\(id).json?extensions=true", method: .get) { response in
                    #expect(json(response.body)[0]?["extended_attributes"]?["district"] == "Afşin")
                }
            }
        }
    }

    /// A submission that must be refused: its fields (`KEY` stands for a valid Open311 key,
    /// `ROADS` for a department's token), the status and a phrase of the error.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let fields: [(String, String)]
        let status: Int
        let says: String
        var testDescription: String { "\(status) \(says)" }

        init(_ fields: [(String, String)], _ status: Int, _ says: String) {
            self.fields = fields
            self.status = status
            self.says = says
        }

        /// A valid submission's fields with `extra` added.
        init(adding extra: [(String, String)], _ status: Int, _ says: String) {
            let base: [(String, String)] = [
                ("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("address_id", "Elbistan"), ("description", "x"),
            ]
            self.init(base + extra, status, says)
        }
    }

    static let refusals: [Refusal] = [
        Refusal([("service_code", "temizlik.cop-toplama")], 403, "api_key"),
        Refusal([("api_key", "dft_forged")], 403, "not valid"),
        Refusal([("api_key", "ROADS")], 403, "not valid"),
        Refusal(
            [("api_key", "KEY"), ("service_code", "uzay.roket"), ("lat", "38.2"), ("long", "37.2"), ("description", "x")], 404, "uzay.roket"
        ),
        Refusal([("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("description", "x")], 400, "location is required"),
        Refusal(
            [("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("lat", "41.0"), ("long", "29.0"), ("description", "x")], 400,
            "not in Kahramanmaraş"),
        Refusal([("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("lat", "38.2"), ("description", "x")], 400, "go together"),
        Refusal(
            [("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("lat", "north"), ("long", "37.2"), ("description", "x")], 400,
            "WGS 84"),
        Refusal(
            [("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("address_string", "Kadıköy"), ("description", "x")], 400,
            "name a district"),
        Refusal(
            [("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("address_string", "Elbistan")], 400, "description is required"),
        Refusal(
            [
                ("api_key", "KEY"), ("service_code", "temizlik.cop-toplama"), ("address_id", "Elbistan"),
                ("description", String(repeating: "ç", count: 4001)),
            ],
            400, "limit is 4000"),
        Refusal(adding: [("colour", "red")], 400, "unknown parameter 'colour'"),
        Refusal(adding: [("attribute[size]", "big")], 400, "attribute[size]"),
        Refusal(adding: [("phone", "12")], 400, "phone"),
        Refusal(adding: [("email", "nope")], 400, "e-mail"),
        Refusal(adding: [("jurisdiction_id", "ankara")], 404, "jurisdiction_id"),
    ]

    @Test("bad submissions get the standard errors and record nothing", arguments: refusals)
    func badSubmissions(refusal: Refusal) async throws {
        let (status, says) = (refusal.status, refusal.says)
        try await withAPI { h in
            let fields = refusal.fields.map { name, value in
                (name, value == "KEY" ? h.open311Token : value == "ROADS" ? h.roadsToken : value)
            }
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: formHeaders, body: form(fields)) {
                    response in
                    #expect(response.status.code == status)
                    let errors = json(response.body)
                    #expect(errors[0]?["code"] == .string(String(status)))
                    #expect(errors.canonicalString.contains(says), "\(errors.canonicalString)")
                }
            }
            #expect(try h.log.entries(from: 1, limit: 100).allSatisfy { $0.type == "CatalogPublished" }, "nothing was recorded")
        }
    }

    @Test("malformed bodies are 400: wrong media type, bad escapes, invalid UTF-8, repeated fields")
    func malformedBodies() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                var jsonHeaders = HTTPFields()
                jsonHeaders[.contentType] = "application/json"
                let valid = potholeReport(h.open311Token)
                try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: jsonHeaders, body: valid) { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)[0]?["description"]?.stringValue?.contains("x-www-form-urlencoded") == true)
                }
                for body in [
                    ByteBuffer(string: "api_key=\(h.open311Token)&description=%E"),
                    ByteBuffer(string: "api_key=\(h.open311Token)&description=%zz"),
                    ByteBuffer(bytes: Array("api_key=\(h.open311Token)&description=".utf8) + [0xff, 0xfe]),
                    ByteBuffer(string: "api_key=\(h.open311Token)&description=%C3%28"),
                    ByteBuffer(string: "api_key=\(h.open311Token)&description=a&description=b"),
                    ByteBuffer(string: "api_key=\(h.open311Token)&=x"),
                ] {
                    try await client.execute(uri: "/open311/v2/requests.xml", method: .post, headers: formHeaders, body: body) { response in
                        #expect(response.status == .badRequest, "\(String(buffer: body))")
                        #expect(xmlElements(response.body)?.first == "errors")
                    }
                }
                try await client.execute(
                    uri: "/open311/v2/requests.json", method: .post, headers: formHeaders, body: ByteBuffer(repeating: 0x61, count: 70_000)
                ) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(json(response.body)[0]?["code"] == "413")
                }
            }
            #expect(try h.log.entries(from: 1, limit: 100).allSatisfy { $0.type == "CatalogPublished" })
        }
    }

    @Test("search filters by ids, service, status and time; bad parameters are 400; extensions add channel, district and duplicates")
    func search() async throws {
        let schemas = Open311SchemaCheck()
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let pothole = try await submit(client, potholeReport(h.open311Token))
                let garbage = try await submit(
                    client,
                    form([
                        ("api_key", h.open311Token), ("service_code", "temizlik.cop-toplama"), ("address_string", "Dulkadiroğlu"),
                        ("description", "Çöpler üç gündür alınmadı"),
                    ]))
                let again = try await submit(client, potholeReport(h.open311Token))
                try await client.execute(
                    uri: "/v1/tickets/\(again)/merge", method: .post, headers: headers(h.operatorToken),
                    body: ByteBuffer(string: #"{"duplicateOf":"\#(pothole)"}"#)
                ) { #expect($0.status == .ok) }

                func ids(_ query: String, status: HTTPResponse.Status = .ok) async throws -> [String] {
                    try await client.execute(uri: "/open311/v2/requests.json\(query)", method: .get) { response in
                        #expect(response.status == status, "\(query): \(String(buffer: response.body))")
                        guard status == .ok else { return [] }
                        schemas.expect(response.body, matches: "requests.json", "GET requests.json\(query)")
                        guard case .array(let items) = json(response.body) else { return [] }
                        return items.compactMap { $0["service_request_id"]?.stringValue }
                    }
                }
                #expect(Set(try await ids("")) == [pothole, garbage, again])
                #expect(try await ids("?status=open").sorted() == [pothole, garbage].sorted())
                #expect(try await ids("?status=closed") == [again])
                #expect(try await ids("?service_code=temizlik.cop-toplama") == [garbage])
                #expect(try await ids("?service_code=,%20,&status=closed,") == [again], "empty list items are ignored")
                #expect(try await ids("?service_request_id=\(garbage),\(pothole),2020-000001").sorted() == [garbage, pothole].sorted())
                #expect(try await ids("?start_date=2099-01-01T00:00:00Z").isEmpty)
                #expect(try await ids("?end_date=2001-01-01").isEmpty)
                _ = try await ids("?start_date=yesterday", status: .badRequest)
                _ = try await ids("?start_date=2025-03-02&end_date=2025-03-01", status: .badRequest)
                _ = try await ids("?start_date=2025-01-01&end_date=2025-06-01", status: .badRequest)
                _ = try await ids("?status=pending", status: .badRequest)
                _ = try await ids("?service_request_id=12", status: .badRequest)
                _ = try await ids("?service_code=uzay.roket", status: .notFound)

                try await client.execute(uri: "/open311/v2/requests.json?extensions=true&status=closed", method: .get) { response in
                    let request = json(response.body)[0]
                    #expect(request?["status_notes"]?.stringValue?.contains(pothole) == true)
                    #expect(request?["extended_attributes"]?["duplicate_of"] == .string(pothole))
                    #expect(request?["extended_attributes"]?["channel"] == "web")
                    #expect(request?["extended_attributes"]?["district"] == "Elbistan")
                }
                try await client.execute(uri: "/open311/v2/requests/\(pothole).xml?extensions=true", method: .get) { response in
                    let names = try #require(xmlElements(response.body))
                    #expect(names.prefix(3) == ["service_requests", "request", "service_request_id"])
                    #expect(names.contains("duplicate"))
                    #expect(String(buffer: response.body).contains("<duplicate>\(again)</duplicate>"))
                }
                try await client.execute(uri: "/open311/v2/tokens/\(garbage).json", method: .get) { response in
                    #expect(json(response.body) == [["service_request_id": .string(garbage), "token": .string(garbage)]])
                }
                try await client.execute(uri: "/open311/v2/tokens/2020-000009.json", method: .get) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/open311/v2/requests/2020-000009.xml", method: .get) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/open311/v2/requests/drop-table.json", method: .get) { #expect($0.status == .badRequest) }
            }
        }
        try schemas.validate()
    }

    @Test("random bytes as a submission are refused with a 4xx and the standard error, never a 500")
    func randomBodies() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                var generator = SystemRandomNumberGenerator()
                for round in 0..<150 {
                    let length = Int.random(in: 0..<300, using: &generator)
                    var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    if round.isMultiple(of: 2) { bytes = Array("api_key=\(h.open311Token)&".utf8) + bytes }
                    let format = round.isMultiple(of: 3) ? "xml" : "json"
                    try await client.execute(
                        uri: "/open311/v2/requests.\(format)", method: .post, headers: formHeaders, body: ByteBuffer(bytes: bytes)
                    ) { response in
                        #expect((400..<500).contains(response.status.code), "\(bytes)")
                        if format == "json" {
                            #expect(json(response.body)[0]?["code"] != nil)
                        } else {
                            #expect(xmlElements(response.body) != nil)
                        }
                    }
                }
            }
        }
    }

    @Test("markup in what a client sent is escaped in XML errors")
    func xmlEscaping() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                try await client.execute(uri: "/open311/v2/services.xml?jurisdiction_id=%3Cx%3E%26%01", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(xmlElements(response.body) == ["errors", "error", "code", "description"])
                    #expect(String(buffer: response.body).contains("&lt;x&gt;&amp;"))
                }
            }
        }
    }

    @Test("an Open311 key opens nothing under /v1")
    func keyStaysInOpen311() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let id = try await submit(client, potholeReport(h.open311Token))
                for uri in ["/v1/tickets/\(id)", "/v1/departments/triage/queue", "/v1/tickets/\(id)/personal-data?reason=x"] {
                    try await client.execute(uri: uri, method: .get, headers: headers(h.open311Token)) {
                        #expect($0.status == .forbidden, "\(uri)")
                    }
                }
            }
        }
    }
}
