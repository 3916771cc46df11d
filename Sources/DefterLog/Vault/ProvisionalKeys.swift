import Synchronization

extension KeyVault {
    /// The key under `id` for sealing now, without waiting for the disk: the stored key when
    /// there is one, else a *provisional* key kept in memory, the same for every caller until it
    /// is stored, created with `make` when there is none.
    ///
    /// Nothing sealed under the key may be recorded before `makeDurable(_:_:)` has returned for
    /// it: `EventLog.append(_:committingFirst:)` runs it on the log's writer just before the
    /// commit, so that one writer cycle stores a call's new key and then its events. A crash in
    /// between leaves a key no event names, which is harmless; never an event whose key is lost.
    public func provisionalKey(_ id: String, creatingWith make: () -> [UInt8]) throws -> [UInt8] {
        while true {
            let (held, storesSoFar) = provisional.lookup(id)
            if let held { return held }
            if let stored = try key(id) { return stored }
            // Another caller's key for `id` may have been stored (and let go of) since the lookup
            // above: then look again, so that two keys are never handed out for one id.
            if let created = provisional.create(id, ifNoStoreSince: storesSoFar, make) { return created }
        }
    }

    /// Stores every provisional key in one durable transaction, then checks that `key` is the
    /// key stored under `id`.
    ///
    /// - Throws: `StorageError(.corrupted)` when another key is stored under `id`: another
    ///   process created it while this one held its own. Nothing sealed under `key` may then be
    ///   recorded; sealing again takes the stored key.
    public func makeDurable(_ id: String, _ key: [UInt8]) throws {
        try storeProvisionalKeys()
        guard let stored = try self.key(id) else {
            // Erased meanwhile: what was sealed under `key` is recorded unreadable, as it must be.
            return
        }
        guard stored == key else {
            throw StorageError(
                .corrupted,
                "another key was stored for \(id) while this call held its own (another process created it); send the call again")
        }
    }

    /// Stores every provisional key in one durable transaction.
    func storeProvisionalKeys() throws {
        guard provisional.holdsAny else { return }
        let held = try withEnvironmentForBulk { environment in
            let dbi = environment.database("keys")
            return try environment.write { txn in
                let held = provisional.all()
                for (id, key) in held {
                    // A key stored already (by a durable creation that took this one, or by
                    // another process) stays as it is; `makeDurable` tells which.
                    guard try txn.get(dbi, key: Array(id.utf8)) == nil else { continue }
                    try txn.put(dbi, key: Array(id.utf8), value: key)
                }
                return held
            }
        }
        // Each is in the vault now, this one or the one stored before it: lookups find it there.
        provisional.release(held)
    }
}

/// The keys `KeyVault.provisionalKey(_:creatingWith:)` handed out and the vault has not stored
/// yet, by id.
final class ProvisionalKeys: Sendable {
    private struct State {
        var keys: [String: [UInt8]] = [:]
        /// How many times stored keys were let go of: a caller that found neither a provisional
        /// nor a stored key knows from it whether one was stored in between.
        var releases = 0
    }

    private let state = Mutex(State())

    /// Whether any key waits to be stored.
    var holdsAny: Bool { state.withLock { !$0.keys.isEmpty } }

    /// The provisional key under `id`, if any, and how many releases there have been so far.
    func lookup(_ id: String) -> (key: [UInt8]?, releases: Int) {
        state.withLock { ($0.keys[id], $0.releases) }
    }

    /// The provisional key under `id`, created with `make` when there is none, unless keys were
    /// released since `releases` (the caller then looks for a stored key again).
    func create(_ id: String, ifNoStoreSince releases: Int, _ make: () -> [UInt8]) -> [UInt8]? {
        state.withLock { state in
            if let held = state.keys[id] { return held }
            guard state.releases == releases else { return nil }
            let fresh = make()
            state.keys[id] = fresh
            return fresh
        }
    }

    /// The provisional key under `id`, or else `candidate`, held from now on: a key being created
    /// durably is claimed before its transaction commits, so that a caller of `provisionalKey`
    /// meanwhile is handed the same key, not one of its own.
    func claim(_ id: String, _ candidate: [UInt8]) -> [UInt8] {
        state.withLock { state in
            if let held = state.keys[id] { return held }
            state.keys[id] = candidate
            return candidate
        }
    }

    /// Every provisional key.
    func all() -> [String: [UInt8]] { state.withLock { $0.keys } }

    /// Lets go of the keys in `stored`, now in the vault, each while it is still the one held.
    func release(_ stored: [String: [UInt8]]) {
        state.withLock { state in
            for (id, key) in stored where state.keys[id] == key { state.keys[id] = nil }
            state.releases += 1
        }
    }

    /// Drops the provisional key under `id`; returns whether there was one.
    func drop(_ id: String) -> Bool {
        state.withLock { $0.keys.removeValue(forKey: id) != nil }
    }
}
