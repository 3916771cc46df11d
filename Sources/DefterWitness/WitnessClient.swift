public import DefterLog
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The log's side of C2SP `tlog-witness`: asks each configured witness to cosign a checkpoint,
/// sending the consistency proof from the last checkpoint that witness cosigned, and keeps the
/// cosignatures it gets back (checked against the witness's key) beside the log, in
/// `data/witnesses` (LMDB): per witness the size it last cosigned, per tree size the lines.
public final class WitnessClient: Sendable {
    /// A witness the log asks: where it listens and its cosigning key.
    public struct Endpoint: Sendable, Hashable {
        public let url: URL
        public let key: CosignerVerifierKey

        /// Parses `URL=VKEY` (the key's text, or a file holding it).
        public init(parsing text: String) throws(WitnessKeyError) {
            guard let equals = text.firstIndex(of: "="), let url = URL(string: String(text[..<equals])),
                ["http", "https"].contains(url.scheme ?? "")
            else { throw WitnessKeyError("\(text.prefix(200)) is not URL=VKEY with an http or https URL") }
            var key = String(text[text.index(after: equals)...])
            if FileManager.default.fileExists(atPath: key), let contents = try? String(contentsOfFile: key, encoding: .utf8) {
                key = contents
            }
            self.url = url
            self.key = try CosignerVerifierKey(vkey: key)
        }
    }

    /// What one witness answered.
    public enum Outcome: Sendable, Equatable {
        /// Its cosignature line, checked.
        case cosigned(String)
        /// It refused or could not be reached: why.
        case failed(String)
    }

    let endpoints: [Endpoint]
    let store: KeyValueStore
    /// How many of the witnesses must cosign a checkpoint before it is shown as the log's head.
    public let quorum: Int

    /// A client for `endpoints`, keeping its records in `folder`; a checkpoint is witnessed once
    /// `quorum` of them cosigned it.
    public init(endpoints: [Endpoint], folder: URL, quorum: Int = 0) throws {
        self.endpoints = endpoints
        self.quorum = quorum
        self.store = try KeyValueStore.open(at: folder, databases: ["sizes", "cosignatures"])
    }

    /// Closes the store.
    public func close() { store.close() }

    /// Asks every witness to cosign `checkpoint` of `log`, at once; returns each one's outcome by
    /// name, and keeps the cosignatures.
    public func cosign(_ checkpoint: SignedCheckpoint, of log: EventLog) async -> [String: Outcome] {
        await withTaskGroup(of: (String, Outcome).self) { group in
            for endpoint in endpoints {
                group.addTask { (endpoint.key.name, await self.ask(endpoint, checkpoint, log)) }
            }
            var outcomes: [String: Outcome] = [:]
            for await (name, outcome) in group { outcomes[name] = outcome }
            let lines = endpoints.compactMap { endpoint -> String? in
                if case .cosigned(let line) = outcomes[endpoint.key.name] { return line }
                return nil
            }
            if !lines.isEmpty {
                do {
                    try Self.keep(lines, treeSize: checkpoint.checkpoint.treeSize, in: store)
                } catch {
                    // A cosignature that cannot be kept vouches for nothing a reader can see.
                    for (name, outcome) in outcomes {
                        if case .cosigned = outcome { outcomes[name] = .failed("cosigned, but the cosignature cannot be kept: \(error)") }
                    }
                }
            }
            return outcomes
        }
    }

    /// The cosignature lines kept for the checkpoint of `treeSize` (each `— name base64`), sorted.
    public func cosignatures(treeSize: UInt64) throws -> [String] {
        guard let bytes = try store.read({ try $0.get("cosignatures", Self.key(treeSize)) }) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Adds `lines` to the cosignatures kept for the checkpoint of `treeSize` in the store at
    /// `folder` (made when missing): what a mirror keeps, its own and its primary's witnesses'.
    /// Not for a folder this process has a client open on.
    public static func keep(_ lines: [String], treeSize: UInt64, at folder: URL) throws {
        let store = try KeyValueStore.open(at: folder, databases: ["sizes", "cosignatures"])
        defer { store.close() }
        try keep(lines, treeSize: treeSize, in: store)
    }

    private static func keep(_ lines: [String], treeSize: UInt64, in store: KeyValueStore) throws {
        try store.write { writer in
            let key = Self.key(treeSize)
            var all = Set(
                try writer.get("cosignatures", key).map { String(decoding: $0, as: UTF8.self) }?.split(separator: "\n").map(String.init)
                    ?? [])
            all.formUnion(lines)
            try writer.put("cosignatures", key, Array(all.sorted().joined(separator: "\n").utf8))
        }
    }

    /// Every cosignature kept in the store at `folder`, by tree size; empty when there is no
    /// store (the log never asked a witness). Reads only.
    public static func keptCosignatures(at folder: URL) throws -> [UInt64: [String]] {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("data.mdb").path) else { return [:] }
        let store = try KeyValueStore.open(at: folder, databases: ["sizes", "cosignatures"], readOnly: true)
        defer { store.close() }
        var kept: [UInt64: [String]] = [:]
        try store.read { reader in
            try reader.scan("cosignatures") { key, value in
                guard key.count == 8 else { return true }
                let size = key.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                kept[size] = String(decoding: value, as: UTF8.self).split(separator: "\n").map(String.init)
                return true
            }
        }
        return kept
    }

    /// The store key of a tree size: big-endian, so that sizes sort in order.
    private static func key(_ treeSize: UInt64) -> [UInt8] {
        withUnsafeBytes(of: treeSize.bigEndian) { Array($0) }
    }

    /// The witnesses whose kept cosignatures vouch for `checkpoint`.
    public func vouching(for checkpoint: SignedCheckpoint) throws -> [CosignerVerifierKey] {
        let kept = try cosignatures(treeSize: checkpoint.checkpoint.treeSize)
        return CosignerVerifierKey.vouching(endpoints.map(\.key), in: kept, body: checkpoint.checkpoint.body)
    }

    /// The newest of `log`'s checkpoints that `quorum` witnesses vouch for, as a cosigned note;
    /// nil before any is. A checkpoint the log signed a moment ago is not the head readers see
    /// until the witnesses have cosigned it: a mirror requiring them would otherwise find a
    /// checkpoint it must wait on.
    public func newestWitnessedNote(of log: EventLog) throws -> String? {
        guard let checkpoint = try log.newestCheckpoint(where: { try self.vouching(for: $0).count >= self.quorum }) else { return nil }
        return try cosignedNote(checkpoint)
    }

    /// `checkpoint` as a note with the kept cosignatures after the log's own signature.
    public func cosignedNote(_ checkpoint: SignedCheckpoint) throws -> String {
        checkpoint.text + (try cosignatures(treeSize: checkpoint.checkpoint.treeSize)).map { $0 + "\n" }.joined()
    }

    private func ask(_ endpoint: Endpoint, _ checkpoint: SignedCheckpoint, _ log: EventLog) async -> Outcome {
        let name = Array(endpoint.key.name.utf8)
        var old =
            (try? store.read { try $0.get("sizes", name) }).flatMap { $0 }.flatMap { UInt64(String(decoding: $0, as: UTF8.self)) } ?? 0
        for _ in 0..<2 {
            let size = checkpoint.checkpoint.treeSize
            guard old <= size else { return .failed("\(endpoint.key.name) has already cosigned a larger tree (\(old))") }
            let proof: [MerkleHash]
            do { proof = old == 0 || old == size ? [] : try log.consistencyProof(from: old, to: size).path } catch {
                return .failed("cannot prove \(old) -> \(size): \(error)")
            }
            let body = "old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.text
            let (status, text): (Int, String)
            do { (status, text) = try await Self.post(endpoint.url.appendingPathComponent("add-checkpoint"), body) } catch {
                return .failed("\(endpoint.url.absoluteString): \((error as NSError).localizedDescription)")
            }
            switch status {
            case 200:
                for line in text.split(separator: "\n").map(String.init) {
                    guard let time = try? endpoint.key.verify(line: line, body: checkpoint.checkpoint.body), time > 0 else { continue }
                    try? store.write { try $0.put("sizes", name, Array(String(size).utf8)) }
                    return .cosigned(line)
                }
                return .failed("\(endpoint.key.name) answered 200 without a valid cosignature by its key")
            case 409:
                // The witness has another size on record: start from it, once.
                guard let theirs = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    return .failed("\(endpoint.key.name) answered 409 without a size")
                }
                old = theirs
            default:
                return .failed(
                    "\(endpoint.key.name) refused (\(status)): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
            }
        }
        return .failed("\(endpoint.key.name) kept answering 409")
    }

    private static func post(_ url: URL, _ body: String) async throws -> (Int, String) {
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        return try await withCheckedThrowingContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(
                        returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self)))
                }
            }
            task.resume()
        }
    }
}
