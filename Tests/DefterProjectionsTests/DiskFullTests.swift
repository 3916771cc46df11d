import DefterLog
import Foundation
import Testing

@testable import DefterProjections

/// A tmpfs mounted for one test: a disk that fills up for real, and that can be grown.
final class SmallDisk {
    let folder: URL

    /// Mounts a tmpfs of `bytes` at `folder`.
    init(at folder: URL, bytes: Int) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.mount(["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", folder.path])
    }

    /// Gives the disk `bytes` in all, keeping what it holds.
    func grow(to bytes: Int) throws {
        try Self.mount(["-o", "remount,size=\(bytes)", folder.path])
    }

    /// Unmounts the disk; lazily if something still holds it, so that no mount outlives the test.
    func unmount() {
        if (try? Self.run("/bin/umount", [folder.path])) == nil { try? Self.run("/bin/umount", ["-l", folder.path]) }
    }

    /// Whether this machine lets the tests mount a tmpfs (root, with the right to mount).
    static let isAvailable: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("defter-tmpfs-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: probe) }
        guard let disk = try? SmallDisk(at: probe, bytes: 1 << 20) else { return false }
        disk.unmount()
        return true
    }()

    private static func mount(_ arguments: [String]) throws { try run("/bin/mount", arguments) }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments) failed"])
        }
    }
}

@Suite struct DiskFullTests {
    @Test(
        "projections running as a service wait out a full disk, then catch up to what a clean rebuild gives",
        .enabled(if: SmallDisk.isAvailable, "mounting a tmpfs needs root")
    )
    func waitOutAFullDisk() async throws {
        try await withProjections { service, log, vault, _, folder in
            try await seed(log, vault, service: service, calls: 400)
            let head = try log.size()

            // Three stores on a 256 KiB disk: the first batch does not fit.
            let disk = try SmallDisk(at: folder.appendingPathComponent("small-disk"), bytes: 256 << 10)
            defer { disk.unmount() }
            let projections = try Projections(
                log: log, root: disk.folder.appendingPathComponent("projections"), diskFullRetryDelay: .milliseconds(20))
            defer { projections.close() }
            #expect {
                try projections.catchUp()
            } throws: { error in
                (error as? StorageError)?.kind == .diskFull && "\(error)".contains("free space and retry")
            }
            // Nothing stopped: the full disk is the store's trouble, not an entry's.
            #expect(projections.all.allSatisfy { $0.error == nil })
            #expect(try projections.all.contains { try $0.checkpoint() < head })

            // The services keep running: the projections wait for space, the deadline worker
            // skips the sweeps it cannot make.
            let deadlines = DeadlineWorker(
                service: service, queues: projections.queues, now: { Date(timeIntervalSince1970: 1_767_225_600) },
                interval: .milliseconds(20))
            let running = Task { try await projections.run() }
            let sweeping = Task { try await deadlines.run() }
            defer {
                running.cancel()
                sweeping.cancel()
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try projections.all.contains { try $0.checkpoint() < head })
            try disk.grow(to: 64 << 20)
            for _ in 0..<1000 where try projections.all.contains(where: { try $0.checkpoint() < head }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            running.cancel()
            sweeping.cancel()
            try await running.value
            try await sweeping.value
            #expect(try projections.all.allSatisfy { try $0.checkpoint() == head })

            let clean = try Projections(log: log, root: folder.appendingPathComponent("clean"))
            defer { clean.close() }
            try clean.catchUp()
            for (resumed, rebuilt) in zip(projections.all, clean.all) {
                #expect(try resumed.digest() == rebuilt.digest(), "\(resumed.projection.name)")
            }
        }
    }
}
