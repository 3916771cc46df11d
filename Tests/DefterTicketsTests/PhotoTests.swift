import DefterDomain
import DefterImages
import DefterLog
import DefterTickets
import Foundation
import Testing

/// The image fixtures of `DefterImagesTests` (drawn by `tools/photos/make_fixtures.py`), read in
/// place rather than copied.
enum PhotoFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DefterImagesTests/Fixtures")

    static func load(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: folder.appendingPathComponent(name))) }
}

private func contains(_ bytes: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard needle.count <= bytes.count else { return false }
    return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
}

private func storedFiles(_ folder: URL) -> [URL] {
    let photos = folder.appendingPathComponent("photos")
    guard let walker = FileManager.default.enumerator(at: photos, includingPropertiesForKeys: nil) else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "sealed" || $0.lastPathComponent.contains(".tmp-") }
}

@Suite struct PhotoTests {
    let operatorID = ActorID(unchecked: "op-7")

    @Test func aCitizensPhotoIsStoredSealedWithoutItsGPSAndTheEventProvesWhichItWas() async throws {
        try await withService { service, _, folder in
            let ticket = try await service.receiveCall(SampleCalls.garbage(1, caller: SampleCalls.personal)).ticket
            let original = try PhotoFixtures.load("gps.jpg")
            let attached = try await service.attachPhoto(
                original, claimed: .jpeg, role: .citizen, to: ticket, actingDepartment: nil, by: operatorID)
            let stripped = try PhotoCleaner.clean(original, claimed: .jpeg).bytes
            #expect(attached.sha256 == PhotoStore.sha256(stripped))
            #expect(attached.mediaType == "image/jpeg" && attached.bytes == stripped.count)
            #expect(attached.width == 48 && attached.height == 32)
            let read = try #require(try await service.photoBytes(of: ticket, sha256: attached.sha256))
            #expect(read.bytes == stripped && read.mediaType == "image/jpeg")
            #expect(!contains(read.bytes, "SERIAL-12345") && !contains(read.bytes, "Exif\0\0"))
            let files = storedFiles(folder)
            #expect(files.count == 1)
            let onDisk = Array(try Data(contentsOf: try #require(files.first)))
            #expect(!contains(onDisk, "JFIF"), "the file is sealed, not the image")
            #expect(try await service.photos(of: ticket) == [attached])
            // The same photo again is the same attachment, not a second one.
            _ = try await service.attachPhoto(original, claimed: .jpeg, role: .citizen, to: ticket, actingDepartment: nil, by: operatorID)
            #expect(try await service.photos(of: ticket).count == 1)
        }
    }

    @Test func aPNGNamedJPEGIsRefusedAndNothingIsWritten() async throws {
        try await withService { service, log, folder in
            let ticket = try await service.receiveCall(SampleCalls.garbage(1)).ticket
            let before = try log.entries(from: 1, limit: 1000).count
            await #expect(throws: ImageError.notClaimedType(claimed: .jpeg, actual: .png)) {
                try await service.attachPhoto(
                    try PhotoFixtures.load("plain.png"), claimed: .jpeg, role: .citizen, to: ticket, actingDepartment: nil, by: operatorID)
            }
            #expect(try log.entries(from: 1, limit: 1000).count == before)
            #expect(storedFiles(folder).isEmpty)
        }
    }

    @Test func anAfterPhotoBeforeResolutionOrFromAnotherDepartmentIsRefusedAndNotStored() async throws {
        try await withService { service, _, folder in
            let ticket = try await service.receiveCall(SampleCalls.garbage(1)).ticket
            let department = try #require(try await service.ticket(ticket)?.department)
            let photo = try PhotoFixtures.load("plain.png")
            await #expect(throws: TicketError.self) {
                try await service.attachPhoto(photo, claimed: .png, role: .after, to: ticket, actingDepartment: department, by: operatorID)
            }
            try await service.handle(
                .acknowledge(actingDepartment: department, by: operatorID, at: SampleCalls.t0), on: ticket, actor: operatorID)
            try await service.handle(
                .resolve(code: "done", note: "", actingDepartment: department, by: operatorID, at: SampleCalls.t0), on: ticket,
                actor: operatorID)
            await #expect(throws: TicketError.self) {
                try await service.attachPhoto(
                    photo, claimed: .png, role: .after, to: ticket, actingDepartment: DepartmentID(unchecked: "zabita"), by: operatorID)
            }
            #expect(storedFiles(folder).isEmpty)
            let after = try await service.attachPhoto(
                photo, claimed: .png, role: .after, to: ticket, actingDepartment: department, by: operatorID)
            #expect(after.role == .after)
            #expect(try await service.photoBytes(of: ticket, sha256: after.sha256, roles: [.after]) != nil)
            #expect(try await service.photoBytes(of: ticket, sha256: after.sha256, roles: [.citizen]) == nil)
        }
    }

    @Test func erasureDeletesThePhotosAndTheEventKeepsTheirHash() async throws {
        try await withService { service, _, folder in
            let ticket = try await service.receiveCall(SampleCalls.garbage(1, caller: SampleCalls.personal)).ticket
            let attached = try await service.attachPhoto(
                try PhotoFixtures.load("gps.webp"), claimed: .webp, role: .citizen, to: ticket, actingDepartment: nil, by: operatorID)
            #expect(storedFiles(folder).count == 1)
            guard case .callReceived(let call)? = try await service.events(of: ticket).first else { throw CancellationError() }
            _ = try await service.eraseCitizen(call.personalData.citizen, by: ActorID(unchecked: "kvkk"), reason: "KVKK başvurusu")
            #expect(storedFiles(folder).isEmpty)
            #expect(try await service.photoBytes(of: ticket, sha256: attached.sha256) == nil)
            #expect(try await service.photos(of: ticket).map(\.sha256) == [attached.sha256])
        }
    }
}
