import DefterImages
import DefterLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The image fixtures of `DefterImagesTests` (drawn by `tools/photos/make_fixtures.py`), read in place.
private func photo(_ name: String) throws -> ByteBuffer {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DefterImagesTests/Fixtures")
    return ByteBuffer(bytes: Array(try Data(contentsOf: folder.appendingPathComponent(name))))
}

private func upload(_ token: String, _ type: String) -> HTTPFields {
    var fields = headers(token)
    fields[.contentType] = type
    return fields
}

private func sealedFiles(_ h: Harness) -> Int {
    let folder = h.log.folder.appendingPathComponent("photos")
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return 0 }
    return walker.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath && $0.lastPathComponent.contains(".sealed") }.count
}

@Suite struct PhotoRouteTests {
    @Test func aPhotoWithGPSComesBackWithoutItAndReadingItIsRecorded() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                let sha = try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos", method: .post, headers: upload(h.operatorToken, "image/jpeg"),
                    body: try photo("gps.jpg")
                ) { response in
                    #expect(response.status == .created)
                    let body = json(response.body)
                    #expect(body["role"] == "citizen" && body["mediaType"] == "image/jpeg" && body["width"] == 48)
                    return body["sha256"]?.stringValue ?? ""
                }
                #expect(sha.count == 64)
                try await client.execute(uri: "/v1/tickets/\(ticket)/photos", method: .get, headers: headers(h.roadsToken)) { response in
                    guard case .array(let photos)? = json(response.body)["photos"] else { throw CancellationError() }
                    #expect(photos.count == 1)
                }
                let before = try h.accesses()
                try await client.execute(uri: "/v1/tickets/\(ticket)/photos/\(sha)", method: .get, headers: headers(h.roadsToken)) {
                    response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "image/jpeg")
                    #expect(response.headers[.cacheControl] == "private, no-store")
                    let bytes = Array(response.body.readableBytesView)
                    #expect(bytes.starts(with: [0xFF, 0xD8]))
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(!text.contains("SERIAL-12345") && !text.contains("Exif") && !text.contains("xpacket"))
                    let again = try? PhotoCleaner.clean(bytes, claimed: .jpeg)
                    #expect(again?.removed.isEmpty == true)
                }
                #expect(try h.accesses() == before + 1)
                // Another department sees neither the list nor the photo.
                try await client.execute(uri: "/v1/tickets/\(ticket)/photos/\(sha)", method: .get, headers: headers(h.cleaningToken)) {
                    #expect($0.status == .forbidden)
                }
            }
        }
    }

    @Test func aPNGSentAsJPEGIsRefusedWith415InTurkishFirst() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos", method: .post, headers: upload(h.operatorToken, "image/jpeg"),
                    body: try photo("plain.png")
                ) { response in
                    #expect(response.status == .unsupportedMediaType)
                    #expect(json(response.body)["message"]?.stringValue?.hasPrefix("Bu dosya bir JPEG değil") == true)
                }
                #expect(sealedFiles(h) == 0)
            }
        }
    }

    @Test func anElevenMegabyteUploadIsRefusedWith413AndNothingIsWritten() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                let entries = try h.log.entries(from: 1, limit: 10_000).count
                var big = try photo("gps.jpg")
                big.writeBytes([UInt8](repeating: 0, count: 11 * 1024 * 1024))
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos", method: .post, headers: upload(h.operatorToken, "image/jpeg"), body: big
                ) { response in
                    #expect(response.status == .contentTooLarge)
                }
                #expect(try h.log.entries(from: 1, limit: 10_000).count == entries)
                #expect(sealedFiles(h) == 0)
            }
        }
    }

    @Test func onlyTheOwningDepartmentAttachesTheAfterPhotoOnceResolved() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                let ticket = try await recordPothole(client, h)
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos?role=after", method: .post, headers: upload(h.operatorToken, "image/png"),
                    body: try photo("plain.png")
                ) { #expect($0.status == .forbidden) }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos?role=after", method: .post, headers: upload(h.roadsToken, "image/png"),
                    body: try photo("plain.png")
                ) { #expect($0.status == .conflict) }
                for action in ["acknowledge", "resolve"] {
                    try await client.execute(
                        uri: "/v1/tickets/\(ticket)/\(action)", method: .post, headers: headers(h.roadsToken),
                        body: ByteBuffer(string: action == "resolve" ? #"{"code":"repaired","note":"Asfaltlandı"}"# : "{}")
                    ) { #expect($0.status == .ok, "\(action)") }
                }
                try await client.execute(
                    uri: "/v1/tickets/\(ticket)/photos?role=after", method: .post, headers: upload(h.roadsToken, "image/png"),
                    body: try photo("plain.png")
                ) { response in
                    #expect(response.status == .created)
                    #expect(json(response.body)["role"] == "after")
                }
                #expect(sealedFiles(h) == 1)
            }
        }
    }
}
