import Dispatch
import Synchronization

extension KeyVault {
    /// The key stored under `id`, created when missing, durably: concurrent callers whose keys
    /// are new share one write transaction and one fsync (group commit, as the log's appends do),
    /// run on the vault's own thread so that no task of the cooperative pool waits on the disk.
    ///
    /// The key is on disk before this returns, so nothing can be sealed under a key a crash could
    /// lose; a crash after it returns may leave a key no event refers to, which is harmless.
    public func key(_ id: String, creatingWith make: @escaping @Sendable () -> [UInt8]) async throws -> [UInt8] {
        if let existing = try key(id) { return existing }
        return try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(KeyVaultWriter.Request(id: id, make: make, continuation: continuation), into: self)
        }
    }
}

/// Coalesces key creations into group commits on one serial queue.
final class KeyVaultWriter: Sendable {
    struct Request: Sendable {
        let id: String
        let make: @Sendable () -> [UInt8]
        let continuation: CheckedContinuation<[UInt8], any Error>
    }

    private let queue = DispatchQueue(label: "defter.vault.writer")
    /// Requests waiting for the next commit, and whether a drain is scheduled.
    private let pending = Mutex<(requests: [Request], draining: Bool)>(([], false))
    /// The most keys one transaction creates.
    static let maximumGroup = 4096

    func enqueue(_ request: Request, into vault: KeyVault) {
        let start = pending.withLock { state -> Bool in
            state.requests.append(request)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        if start { queue.async { self.drain(vault) } }
    }

    private func drain(_ vault: KeyVault) {
        while true {
            let group = pending.withLock { state -> [Request] in
                let taken = Array(state.requests.prefix(Self.maximumGroup))
                state.requests.removeFirst(taken.count)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            guard !group.isEmpty else { return }
            do {
                let keys = try vault.createKeys(group.map { ($0.id, $0.make) })
                for request in group { request.continuation.resume(returning: keys[request.id]!) }
            } catch {
                for request in group { request.continuation.resume(throwing: error) }
            }
        }
    }
}
