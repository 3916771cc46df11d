public import DefterLog
public import DefterWitness
public import Foundation

/// The submission side of a C2SP `tlog-mirror`: a log (or anyone holding its tiles) pushes its
/// checkpoints and entries to the mirror, which verifies every entry before it keeps it and then
/// cosigns the checkpoint: its statement that it has durably copied what the checkpoint covers.
///
/// - `add-checkpoint` is a witness's request: the new checkpoint must be signed by the log and
///   provably extend the mirror's *pending checkpoint*, which it then becomes (nothing is signed).
/// - `add-entries` uploads entries `[upload_start, upload_end)` in packages aligned with entry
///   bundles, each with a subtree consistency proof against the pending checkpoint of size
///   `upload_end`. Each package is verified, then its entries are accepted and appended to the
///   mirror's log byte for byte, 65,536 at a time (or after two seconds without more), since each
///   commit syncs the disk; the log is both the copy and the pending entries, as the spec allows.
///   When the mirror holds every entry up to `upload_end`, committed, it adopts that checkpoint
///   and answers with its cosignature.
///
/// The mirror's log is an `EventLog` made with `LogConfiguration.mirrorOf` the log's key, the same
/// as a pulling `Mirror` writes, so `defter serve --read-only` serves either. The last few pending
/// checkpoints are kept in LMDB beside it (`mirror-pending`), so that an upload against one of
/// them can resume after a newer one arrives, or after a restart.
public actor PushMirror {
    /// An answer: an HTTP status, a content type and a body.
    public typealias Response = SubmissionAnswer

    let log: EventLog
    let cosigner: Cosigner
    let pending: KeyValueStore
    let clock: @Sendable () -> Date
    /// Pending checkpoints kept: an upload may name any of them as its end.
    static let pendingKept = 8
    /// Entries an upload may repeat that the mirror already holds before it is refused with 409:
    /// a client that restarts from an old place is told where to go on instead.
    static let maximumRepeatedEntries = UInt64(EntryUpload.packagesPerRequest) * EntryUpload.packageWidth
    static let mirrorInfoType = "text/x.tlog.mirror-info"
    /// Entries gathered before one commit of the mirror's log is written (see `accept`).
    let entriesPerCommit: UInt64

    /// A mirror of the log whose key `log` was made with (`LogConfiguration.mirrorOf`), cosigning
    /// with `cosigner`, committing the entries it accepts `entriesPerCommit` at a time.
    public init(
        log: EventLog, cosigner: Cosigner, entriesPerCommit: Int = 65_536, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.log = log
        self.entriesPerCommit = UInt64(max(1, entriesPerCommit))
        self.cosigner = cosigner
        self.clock = clock
        self.pending = try KeyValueStore.open(at: log.folder.appendingPathComponent("mirror-pending"), databases: ["pending"])
        self.held = try log.size()
    }

    private var closed = false

    /// Commits the entries accepted and not yet committed, then closes the pending checkpoints'
    /// store (not the log): after it, the mirror takes nothing more. Call it before closing the log.
    public func close() async {
        guard !closed else { return }
        _ = try? await backgroundCommit?.value
        try? await exclusively { try await commitAccepted() }
        closed = true
        pending.close()
    }

    private func refuseWhenClosed() throws(SubmissionRefusal) {
        guard !closed else { throw SubmissionRefusal(503, "the mirror is stopping; send this again when it is back") }
    }

    // MARK: add-checkpoint

    /// `POST add-checkpoint`: `old <size>`, the consistency proof from the pending checkpoint, an
    /// empty line and the log's signed checkpoint. 200 with an empty body when it became the
    /// pending checkpoint; 409 with the pending size when `old` is not it; 422 when it does not
    /// extend it.
    public func addCheckpoint(_ request: [UInt8]) -> Response {
        do {
            try refuseWhenClosed()
            let submission = try CheckpointSubmission(request, logs: [log.origin: log.verifierKey])
            let checkpoint: SignedCheckpoint
            do { checkpoint = try SignedCheckpoint(parsing: submission.logSignedNote) } catch {
                throw SubmissionRefusal(400, "the checkpoint is not a Defter checkpoint: \(error)")
            }
            return try pending.write { writer in
                let held = try baseline(writer.reader)
                try submission.checkExtends(heldSize: held.size, heldRoot: held.root?.bytes, holder: "this mirror holds")
                try writer.put("pending", Self.key(checkpoint.checkpoint.treeSize), Array(checkpoint.text.utf8))
                var sizes: [[UInt8]] = []
                try writer.scan("pending") { key, _ in
                    sizes.append(key)
                    return true
                }
                for key in sizes.dropLast(Self.pendingKept) { _ = try writer.delete("pending", key) }
                return Response(status: 200, body: "")
            }
        } catch let refusal as SubmissionRefusal {
            return Response(refusal)
        } catch {
            return Response(status: 500, body: "the mirror failed: \(error)\n")
        }
    }

    /// The checkpoint a new pending one must extend: the newest pending one, or the mirror's own
    /// newest checkpoint when larger; before either, the tree the mirror's log holds.
    private func baseline(_ reader: StoreReader) throws -> (size: UInt64, root: MerkleHash?) {
        let known = try knownCheckpoints(reader)
        if let newest = known.values.max(by: { $0.checkpoint.treeSize < $1.checkpoint.treeSize }) {
            return (newest.checkpoint.treeSize, newest.checkpoint.root)
        }
        let size = try log.size()
        return (size, size == 0 ? nil : try log.root(size: size).root)
    }

    /// The pending checkpoints kept and the mirror checkpoint, by size.
    private func knownCheckpoints(_ reader: StoreReader) throws -> [UInt64: SignedCheckpoint] {
        var known: [UInt64: SignedCheckpoint] = [:]
        try reader.scan("pending") { _, value in
            if let checkpoint = try? SignedCheckpoint(parsing: String(decoding: value, as: UTF8.self)) {
                known[checkpoint.checkpoint.treeSize] = checkpoint
            }
            return true
        }
        if let mirrored = try log.newestCheckpoint() { known[mirrored.checkpoint.treeSize] = mirrored }
        return known
    }

    private static func key(_ size: UInt64) -> [UInt8] { withUnsafeBytes(of: size.bigEndian) { Array($0) } }

    // MARK: add-entries

    /// `POST add-entries`: reads `body` as it arrives and verifies and keeps each package as soon as
    /// it is whole. 200 with the mirror's cosignature once it holds the checkpoint of size
    /// `upload_end`; 202 with the next entry it needs when the body ended early (the client goes
    /// on from there); 400, 404, 409 or 422 as the spec gives.
    public nonisolated func addEntries<Body: AsyncSequence>(_ body: Body) async -> Response where Body.Element == [UInt8] {
        var reader = EntryUploadReader()
        var upload: (header: EntryUpload.Header, checkpoint: SignedCheckpoint)?
        // Packages proven in this request and not yet accepted: they join the mirror's entries
        // together, at the end of the request or when it breaks off.
        var proven: [EntryBundle] = []
        var kept = 0
        func keepProven() async throws {
            guard !proven.isEmpty else { return }
            try await accept(proven)
            kept += proven.count
            proven.removeAll()
        }
        /// Reads what the bytes so far hold; the answer once the upload is complete.
        func proceed() async throws -> Response? {
            if upload == nil, let header = try reader.readHeader() {
                upload = (header, try await begin(header))
            }
            guard let upload else { return nil }
            while let package = try reader.readPackage() {
                proven.append(try await verify(package, provenBy: upload.checkpoint))
                // A request longer than the spec's advice is taken a request's worth at a time.
                if proven.count >= EntryUpload.packagesPerRequest { try await keepProven() }
            }
            guard reader.readAllPackages else { return nil }
            try await keepProven()
            return await finish(upload.header, upload.checkpoint)
        }
        do {
            for try await chunk in body {
                reader.append(chunk)
                if let response = try await proceed() { return response }
            }
            if let response = try await proceed() { return response }
            try await keepProven()
            return await endedEarly(upload?.header, kept: kept, why: "the body ended")
        } catch {
            // What was proven before the refusal or the break is kept all the same.
            try? await keepProven()
            switch error {
            case let refusal as SubmissionRefusal: return Response(refusal)
            case let malformed as EntryUploadReader.Malformed:
                return await endedEarly(upload?.header, kept: kept, why: malformed.description)
            default: return await endedEarly(upload?.header, kept: kept, why: "the body could not be read: \(error)")
            }
        }
    }

    /// The answer to a body that stopped short of the packages its header announced: 202 with the
    /// next entry when at least one package was kept, 400 otherwise.
    private func endedEarly(_ header: EntryUpload.Header?, kept: Int, why: String) -> Response {
        guard let header else {
            return Response(status: 400, body: "\(why) before the upload's header was whole; nothing was kept\n")
        }
        guard kept > 0 else {
            return Response(status: 400, body: "\(why) before the first package of entries was whole; nothing was kept\n")
        }
        return Response(status: 202, contentType: Self.mirrorInfoType, body: mirrorInfo(size: header.end))
    }

    /// The body of a 409 or 202: a valid pending size, the next entry the mirror needs, and an
    /// (empty) ticket: the mirror keeps its pending checkpoints itself.
    private func mirrorInfo(size: UInt64) -> String {
        "\(size)\n\(nextEntry)\n\n"
    }

    private func conflict(_ size: UInt64) -> SubmissionRefusal {
        SubmissionRefusal(409, String(mirrorInfo(size: size).dropLast()), contentType: Self.mirrorInfoType)
    }

    /// Checks an upload's header against the mirror's state: the checkpoint its packages are
    /// proven against.
    private func begin(_ header: EntryUpload.Header) throws -> SignedCheckpoint {
        try refuseWhenClosed()
        if let failure = commitFailure {
            commitFailure = nil
            throw SubmissionRefusal(
                500,
                "the mirror could not commit the entries it had accepted (\(failure)); they are let go: send them again from \(nextEntry)")
        }
        guard header.origin == log.origin else {
            throw SubmissionRefusal(404, "this mirror copies the log '\(log.origin)', not '\(header.origin.prefix(200))'")
        }
        let known = try pending.read { try knownCheckpoints($0) }
        guard let current = known.keys.max() else {
            throw SubmissionRefusal(422, "this mirror has no checkpoint of the log yet: send one to add-checkpoint first")
        }
        let mirrored = try log.newestCheckpoint()?.checkpoint.treeSize ?? 0
        guard let checkpoint = known[header.end], header.end >= mirrored else { throw conflict(current) }
        let next = nextEntry
        guard header.start <= next, min(header.end, next) - min(header.start, next) <= Self.maximumRepeatedEntries else {
            throw conflict(header.end)
        }
        return checkpoint
    }

    /// Verifies one package against `checkpoint`: its entries as the bundle they begin or fill.
    private func verify(_ package: EntryUpload.Package, provenBy checkpoint: SignedCheckpoint) async throws -> EntryBundle {
        let span = package.span
        // The subtree may begin with entries the mirror holds (the first package of an upload
        // that starts mid-bundle, at or before the mirror's next entry): its hash needs them,
        // read from the log, so those not yet committed are committed first.
        var bytes: [UInt8] = []
        if span.subtreeStart < span.start {
            if span.start > held { try await exclusively { try await commitAccepted() } }
            bytes = try log.bundledEntries(span.subtreeStart..<span.start)
        }
        bytes += package.entryBytes
        let address = TileAddress(level: nil, index: span.subtreeStart / EntryUpload.packageWidth, width: Int(span.end - span.subtreeStart))
        let bundle: EntryBundle
        do { bundle = try EntryBundle(bytes, of: address) } catch {
            throw SubmissionRefusal(422, "the package of entries [\(span.start), \(span.end)) is not Defter log entries: \(error)")
        }
        let subtreeHash = bundle.subtreeRoot ?? MerkleTree.hash(ofLeaves: bundle.leaves[...])
        do {
            try MerkleProof.verifySubtreeConsistency(
                start: span.subtreeStart, end: span.end, size: checkpoint.checkpoint.treeSize, proof: package.proof,
                subtreeHash: subtreeHash.bytes, root: checkpoint.checkpoint.root.bytes)
        } catch {
            throw SubmissionRefusal(
                422,
                "the package of entries [\(span.start), \(span.end)) is not part of the checkpoint of size \(checkpoint.checkpoint.treeSize): \(error); nothing of it was kept"
            )
        }
        return bundle
    }

    // MARK: Entries accepted, and their commits

    /// The entries the log holds: only this mirror writes it.
    private var held: UInt64
    /// Entries proven and accepted after the log's, not yet committed, in order: the mirror's
    /// *pending entries*. Each commit of the log syncs the disk, which costs more than the entries
    /// of a whole request, so commits gather `entriesPerCommit` entries across requests (the spec
    /// lets a mirror defer them). The 202 answers count these entries; should the mirror stop
    /// first, they are gone, its next entry is the log's again, and a client sent back with 409
    /// uploads them once more. Nothing is cosigned before they are committed (`finish`).
    private var accepted: [EntryBundle] = []
    private var acceptedCount: UInt64 = 0
    /// Counts every acceptance: a commit scheduled for an idle mirror does nothing if more came.
    private var acceptances = 0
    /// The commit being written while uploads go on, if any.
    private var backgroundCommit: Task<Void, any Error>?
    /// Why the last commit written in the background failed: the next upload is told, once.
    private var commitFailure: String?
    /// How long accepted entries wait uncommitted when nothing more comes.
    static let idleCommitDelay = Duration.seconds(2)

    /// The first entry the mirror lacks.
    private var nextEntry: UInt64 { held + acceptedCount }

    /// Takes the entries of `bundles` (proven, in order, one after another) that the mirror does
    /// not hold yet: another upload may have brought some of them meanwhile, and they are the same.
    private func accept(_ bundles: [EntryBundle]) async throws {
        let next = nextEntry
        guard let first = bundles.first, next + 1 >= first.firstSequence else {
            throw SubmissionRefusal(500, "the mirror lost its place: it has \(next) entries, short of the packages it proved")
        }
        let new = bundles.filter { $0.lastSequence > next }.map { $0.after(next) }
        guard !new.isEmpty else { return }
        accepted += new
        acceptedCount += new.reduce(0) { $0 + UInt64($1.count) }
        acceptances += 1
        if acceptedCount >= 2 * entriesPerCommit, let backgroundCommit {
            // The disk is behind the uploads: wait for the commit being written.
            try await backgroundCommit.value
        }
        if acceptedCount >= entriesPerCommit, backgroundCommit == nil {
            // Written while the next uploads are read and proven; the answers do not wait for it.
            backgroundCommit = Task {
                defer { self.backgroundCommit = nil }
                do { try await self.exclusively { try await self.commitAccepted() } } catch {
                    self.commitFailure = "\(error)"
                    throw error
                }
            }
        } else {
            let acceptance = acceptances
            Task {
                try? await Task.sleep(for: Self.idleCommitDelay)
                await self.commitWhenIdle(since: acceptance)
            }
        }
    }

    private func commitWhenIdle(since acceptance: Int) async {
        guard !closed, acceptances == acceptance, !accepted.isEmpty else { return }
        try? await exclusively { try await commitAccepted() }
    }

    /// Commits the accepted entries, within `exclusively`. Entries accepted while it writes stay
    /// for the next commit; should the write fail, every accepted entry is let go (see `accepted`).
    private func commitAccepted() async throws {
        guard !accepted.isEmpty else { return }
        try refuseWhenClosed()
        let batch = accepted
        let count = batch.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        do {
            // The rows are sorted off the mirror's actor, which goes on proving packages. A mirror
            // that starts empty keeps its id and stream index rows in memory and writes them once,
            // sorted, before it adopts a checkpoint (`finish`): each commit then writes entries and
            // tree nodes only, at the end of the file.
            let rows = await Task.detached { RestoreBatch(batch) }.value
            try await log.restore(rows, deferringIndexes: true)
        } catch {
            (accepted, acceptedCount) = ([], 0)
            throw error
        }
        accepted.removeFirst(batch.count)
        acceptedCount -= count
        held += count
    }

    /// Adopts the checkpoint of size `upload_end` once every entry it covers is held, and cosigns it.
    private func finish(_ header: EntryUpload.Header, _ checkpoint: SignedCheckpoint) async -> Response {
        do {
            return try await exclusively {
                let size = checkpoint.checkpoint.treeSize
                try await commitAccepted()
                guard held >= size else { throw conflict(size) }
                let mirrored = try log.newestCheckpoint()
                let adopted: SignedCheckpoint
                if let mirrored, mirrored.checkpoint.treeSize >= size {
                    // Never rewind: another upload got here first, or this checkpoint's size was mirrored before.
                    guard mirrored.checkpoint.treeSize == size else { throw conflict(mirrored.checkpoint.treeSize) }
                    adopted = mirrored
                } else {
                    try await log.finishDeferredIndexes()
                    try await log.adopt(checkpoint)
                    adopted = checkpoint
                }
                let line = try cosigner.cosign(
                    body: adopted.checkpoint.body, time: UInt64(max(1, clock().timeIntervalSince1970.rounded(.down))))
                try WitnessClient.keep(
                    [line.trimmingCharacters(in: .newlines)], treeSize: size, at: log.folder.appendingPathComponent("witnesses"))
                return Response(status: 200, body: line)
            }
        } catch let refusal as SubmissionRefusal {
            return Response(refusal)
        } catch {
            return Response(status: 500, body: "the mirror could not adopt the checkpoint of size \(header.end): \(error)\n")
        }
    }

    // MARK: One writer at a time

    private var writing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` with no other commit or adoption being written: a commit takes what was
    /// accepted so far, and an adoption needs every commit before it done.
    private func exclusively<T>(_ body: () async throws -> T) async throws -> T {
        while writing { await withCheckedContinuation { waiting.append($0) } }
        writing = true
        defer {
            writing = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
