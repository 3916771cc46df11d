import DefterDomain
import DefterImages
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DefterHTTP

/// The image fixtures of `DefterImagesTests` (drawn by `tools/photos/make_fixtures.py`), read in place.
private func fixture(_ name: String) throws -> [UInt8] {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DefterImagesTests/Fixtures")
    return Array(try Data(contentsOf: folder.appendingPathComponent(name)))
}

/// A `multipart/form-data` body as a browser builds one: each part a field or a file.
struct MultipartBody {
    struct Part {
        let name: String
        var filename: String? = nil
        var contentType: String? = nil
        let bytes: [UInt8]
    }

    static let boundary = "----DefterTestBoundary7MA4YWxkTrZu0gW"
    var parts: [Part]

    static func field(_ name: String, _ value: String) -> Part { Part(name: name, bytes: Array(value.utf8)) }
    static func file(_ name: String, _ filename: String, _ type: String?, _ bytes: [UInt8]) -> Part {
        Part(name: name, filename: filename, contentType: type, bytes: bytes)
    }

    var buffer: ByteBuffer {
        var bytes: [UInt8] = []
        for part in parts {
            var head = "--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { head += "; filename=\"\(filename)\"" }
            head += "\r\n"
            if let type = part.contentType { head += "Content-Type: \(type)\r\n" }
            bytes += Array((head + "\r\n").utf8) + part.bytes + Array("\r\n".utf8)
        }
        bytes += Array("--\(Self.boundary)--\r\n".utf8)
        return ByteBuffer(bytes: bytes)
    }

    func headers(_ token: String?) -> HTTPFields {
        var fields = DefterHTTPTests.headers(token)
        fields[.contentType] = "multipart/form-data; boundary=\(Self.boundary)"
        return fields
    }
}

private func photosOf(_ ticket: String, _ h: Harness) async throws -> [PhotoAttached] {
    try await h.service.photos(of: TicketID(ticket))
}

@Suite struct MultipartFormTests {
    @Test func fieldsAndFilesComeBackAsSentIncludingCRLFInsideAFile() throws {
        let file: [UInt8] = [0xFF, 0xD8, 13, 10, 45, 45, 0, 13, 10, 0xFF, 0xD9]
        let body = MultipartBody(parts: [
            MultipartBody.field("call", #"{"a":"ç\r\nb"}"#), MultipartBody.file("photo", "çukur 1.jpg", "image/jpeg", file),
        ])
        let form = try MultipartForm(Array(body.buffer.readableBytesView), boundary: MultipartBody.boundary)
        #expect(form.parts.count == 2)
        #expect(form.parts[0].name == "call" && form.parts[0].filename == nil && form.parts[0].text == #"{"a":"ç\r\nb"}"#)
        #expect(form.parts[1].filename == "çukur 1.jpg" && form.parts[1].contentType == "image/jpeg" && form.parts[1].body == file)
    }

    @Test func theBoundaryIsReadQuotedOrNotAndRefusedWhenMissing() throws {
        #expect(try MultipartForm.boundary(of: "multipart/form-data; boundary=abc") == "abc")
        #expect(try MultipartForm.boundary(of: #"multipart/form-data; charset=utf-8; boundary="a b""#) == "a b")
        #expect(throws: MultipartError.self) { try MultipartForm.boundary(of: "multipart/form-data") }
        #expect(throws: MultipartError.self) {
            try MultipartForm.boundary(of: "multipart/form-data; boundary=" + String(repeating: "x", count: 71))
        }
    }

    @Test(arguments: [
        ("cut short", "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhalf"),
        ("no boundary at all", "just text"),
        ("no disposition", "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--"),
        ("not form-data", "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--"),
        ("encoded", "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--B--"),
        ("garbage after boundary", "--Bxyz\r\n"),
    ])
    func malformedBodiesAreRefusedSayingWhy(_ named: (String, String)) {
        #expect(throws: MultipartError.self, "\(named.0)") { try MultipartForm(Array(named.1.utf8), boundary: "B") }
    }
}

@Suite struct IntakePhotoTests {
    @Test func aCallWithAPhotoMakesOneTicketWithTheCitizensPhotoStrippedOfGPS() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let body = MultipartBody(parts: [
                    MultipartBody.field("call", potholeCall),
                    MultipartBody.file("photo", "cukur.jpg", "image/jpeg", try fixture("gps.jpg")),
                ])
                let ticket = try await client.execute(
                    uri: "/v1/calls", method: .post, headers: body.headers(h.operatorToken), body: body.buffer
                ) {
                    response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    return json(response.body)["ticket"]?.stringValue ?? ""
                }
                let photos = try await photosOf(ticket, h)
                #expect(photos.count == 1 && photos.first?.role == .citizen && photos.first?.by.rawValue == "op-1")
                let stored = try #require(try await h.service.photoBytes(of: TicketID(ticket), sha256: photos[0].sha256))
                #expect(String(decoding: stored.bytes, as: UTF8.self).contains("Exif") == false)
                // The same request retried (the answer was lost): the same ticket, and still one photo.
                try await client.execute(uri: "/v1/calls", method: .post, headers: body.headers(h.operatorToken), body: body.buffer) {
                    response in
                    #expect(response.status == .ok)
                    #expect(json(response.body)["ticket"]?.stringValue == ticket)
                }
                #expect(try await photosOf(ticket, h).count == 1)
            }
        }
    }

    @Test func aFileThatIsNotTheImageItClaimsRefusesTheWholeCallAndWritesNothing() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let before = try h.log.entries(from: 1, limit: 10_000).count
                let body = MultipartBody(parts: [
                    MultipartBody.field("call", potholeCall),
                    MultipartBody.file("photo", "cukur.jpg", "image/jpeg", try fixture("plain.png")),
                ])
                try await client.execute(uri: "/v1/calls", method: .post, headers: body.headers(h.operatorToken), body: body.buffer) {
                    response in
                    #expect(response.status == .unsupportedMediaType)
                    #expect(json(response.body)["message"]?.stringValue?.hasPrefix("Bu dosya bir JPEG değil") == true)
                }
                let pdf = MultipartBody(parts: [
                    MultipartBody.field("call", potholeCall),
                    MultipartBody.file("photo", "dilekce.pdf", "application/pdf", Array("%PDF-1.4".utf8)),
                ])
                try await client.execute(uri: "/v1/calls", method: .post, headers: pdf.headers(h.operatorToken), body: pdf.buffer) {
                    #expect($0.status == .unsupportedMediaType)
                }
                #expect(try h.log.entries(from: 1, limit: 10_000).count == before)
                // Nothing was recorded, so the call id is still free: the call alone makes a new ticket.
                try await client.execute(
                    uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: potholeCall)
                ) {
                    #expect($0.status == .created)
                }
            }
        }
    }

    @Test func multipartMistakesAreNamed() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let photo = MultipartBody.file("photo", "a.png", "image/png", try fixture("plain.png"))
                let cases: [(MultipartBody, HTTPResponse.Status, String)] = [
                    (MultipartBody(parts: [photo]), .badRequest, "exactly one part 'call'"),
                    (
                        MultipartBody(parts: [MultipartBody.field("call", potholeCall), MultipartBody.field("note", "x")]), .badRequest,
                        "unknown part 'note'"
                    ),
                    (
                        MultipartBody(parts: [MultipartBody.field("call", potholeCall), photo, photo, photo, photo]), .badRequest,
                        "en çok 3 fotoğraf"
                    ),
                    (MultipartBody(parts: [MultipartBody.field("call", "{")]), .badRequest, "not valid JSON"),
                ]
                for (body, status, words) in cases {
                    try await client.execute(uri: "/v1/calls", method: .post, headers: body.headers(h.operatorToken), body: body.buffer) {
                        response in
                        #expect(response.status == status, "\(words)")
                        #expect(json(response.body)["message"]?.stringValue?.contains(words) == true, "\(String(buffer: response.body))")
                    }
                }
                var noBoundary = headers(h.operatorToken)
                noBoundary[.contentType] = "multipart/form-data"
                try await client.execute(uri: "/v1/calls", method: .post, headers: noBoundary, body: ByteBuffer(string: "x")) { response in
                    #expect(response.status == .badRequest)
                    #expect(json(response.body)["error"] == "bad_multipart")
                }
            }
        }
    }

    @Test func anOpen311ReportWithAPhotoAndAMediaLinkKeepsBothSealedAndShowsNeitherPublicly() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let fields: [(String, String)] = [
                    ("api_key", h.open311Token), ("service_code", "fen-isleri.yol-cukuru"), ("address_string", "Kümbet Mah., Elbistan"),
                    ("description", "Caddede derin bir çukur var"), ("phone", "0532 111 22 33"),
                    ("media_url", "https://foto.example.org/cukur/123.jpg"),
                ]
                let body = MultipartBody(
                    parts: fields.map { MultipartBody.field($0.0, $0.1) } + [
                        MultipartBody.file("media", "cukur.webp", nil, try fixture("gps.webp"))
                    ])
                let id = try await client.execute(
                    uri: "/open311/v2/requests.json", method: .post, headers: body.headers(nil), body: body.buffer
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    return json(response.body)[0]?["service_request_id"]?.stringValue ?? ""
                }
                let photos = try await photosOf(id, h)
                #expect(photos.map(\.mediaType) == ["image/webp"] && photos.first?.role == .citizen)
                try await client.execute(
                    uri: "/v1/tickets/\(id)/personal-data?reason=test", method: .get, headers: headers(h.roadsToken)
                ) { response in
                    #expect(json(response.body)["personalData"]?["mediaURL"] == "https://foto.example.org/cukur/123.jpg")
                }
                // The public sees neither the citizen's photo nor their link.
                try await client.execute(uri: "/open311/v2/requests/\(id).json", method: .get) { response in
                    #expect(json(response.body)[0]?["media_url"] == .null)
                    #expect(!String(buffer: response.body).contains("foto.example.org"))
                }
                try await client.execute(uri: "/v1/public/photos/\(id)/\(photos[0].sha256)", method: .get) {
                    #expect($0.status == .notFound)
                }
            }
        }
    }

    @Test func anOpen311MediaURLThatIsNotAWebLinkIsRefused() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                for link in ["javascript:alert(1)", "file:///etc/passwd", "https://", "https://a b.org/x.jpg"] {
                    try await client.execute(
                        uri: "/open311/v2/requests.json", method: .post, headers: formHeaders,
                        body: potholeReport(h.open311Token, extra: [("media_url", link)])
                    ) { response in
                        #expect(response.status == .badRequest, "\(link)")
                        #expect(String(buffer: response.body).contains("media_url must be an http or https link"))
                    }
                }
            }
        }
    }

    @Test func theCrewsAfterPhotoIsPublicOnOpen311AndTheTrackingPage() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                for action in ["acknowledge", "resolve"] {
                    try await client.execute(
                        uri: "/v1/tickets/\(ticket)/\(action)", method: .post, headers: headers(h.roadsToken),
                        body: ByteBuffer(string: action == "resolve" ? #"{"code":"repaired","note":"Asfaltlandı"}"# : "{}")
                    ) { #expect($0.status == .ok, "\(action)") }
                }
                var upload = headers(h.roadsToken)
                upload[.contentType] = "image/png"
                let sha = try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos?role=after", method: .post, headers: upload,
                    body: ByteBuffer(bytes: try fixture("gps.png"))
                ) { json($0.body)["sha256"]?.stringValue ?? "" }
                let path = "/v1/public/photos/\(ticket)/\(sha)"
                try await client.execute(uri: "/open311/v2/requests/\(ticket).json", method: .get) { response in
                    #expect(json(response.body)[0]?["media_url"]?.stringValue?.hasSuffix(path) == true, "\(String(buffer: response.body))")
                }
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok && response.headers[.contentType] == "image/png")
                    #expect(response.headers[.cacheControl] == "public, max-age=300")
                    #expect(!String(decoding: Array(response.body.readableBytesView), as: UTF8.self).contains("GPS"))
                }
                try await client.execute(uri: "/v1/public/requests/\(ticket)?phone4=8877", method: .get) { response in
                    let body = json(response.body)
                    #expect(body["afterPhotos"]?[0]?["url"]?.stringValue == path)
                    guard case .array(let steps)? = body["timeline"] else { throw CancellationError() }
                    let photoStep = steps.first { $0["type"] == "PhotoAttached" }
                    #expect(photoStep?["details"]?["role"] == "after" && photoStep?["entry"] != .null)
                }
            }
        }
    }
}
