public import DefterLog
public import DefterWitness
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The client side of C2SP `tlog-mirror`: pushes a log's checkpoint and the entries it covers to
/// a mirror (`PushMirror`, or any mirror that speaks the spec), and returns the mirror's
/// cosignature, checked against its key.
///
/// 1. `add-checkpoint` with the consistency proof from the mirror's pending checkpoint (asked
///    for with `old 0` first; the mirror answers 409 with its size).
/// 2. `add-entries` from the mirror's next entry: at most 32 packages a request, each with its
///    subtree consistency proof, until the mirror answers 200 with its cosignature.
public struct MirrorPusher: Sendable {
    /// Why a push failed.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Sends one request: its URL, body and content type; returns the status and body.
    public typealias Transport = @Sendable (_ url: URL, _ body: [UInt8], _ contentType: String) async throws -> (Int, [UInt8])

    let log: EventLog
    let mirror: WitnessClient.Endpoint
    let transport: Transport

    /// A pusher of `log` to `mirror` (its submission prefix and cosigner key), over HTTP unless
    /// another `transport` is given: a plain `http://` mirror on SwiftNIO connections kept alive
    /// (`KeepAliveHTTPClient`), an `https://` one through URLSession.
    public init(log: EventLog, mirror: WitnessClient.Endpoint, transport: Transport? = nil) {
        self.log = log
        self.mirror = mirror
        self.transport = transport ?? Self.http(to: mirror.url)
    }

    /// Pushes `checkpoint` and every entry it covers that the mirror lacks; returns the mirror's
    /// cosignature line over it.
    public func push(_ checkpoint: SignedCheckpoint) async throws(Failure) -> String {
        try await addCheckpoint(checkpoint)
        return try await addEntries(upTo: checkpoint)
    }

    private func addCheckpoint(_ checkpoint: SignedCheckpoint) async throws(Failure) {
        let size = checkpoint.checkpoint.treeSize
        var old: UInt64 = 0
        for _ in 0..<3 {
            guard old <= size else {
                throw Failure("\(mirror.key.name) already holds a pending checkpoint of size \(old), larger than \(size): push a newer one")
            }
            let proof: [MerkleHash]
            do { proof = old == 0 || old == size ? [] : try log.consistencyProof(from: old, to: size).path } catch {
                throw Failure("cannot prove \(old) -> \(size): \(error)")
            }
            let body = "old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.text
            let (status, answer) = try await send("add-checkpoint", Array(body.utf8), "text/plain; charset=utf-8")
            switch status {
            case 200: return
            case 409:
                guard let theirs = UInt64(answer.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw Failure("\(mirror.key.name) answered add-checkpoint with 409 without a size")
                }
                old = theirs
            default: throw Failure("\(mirror.key.name) refused the checkpoint of size \(size) (\(status)): \(answer.prefix(300))")
            }
        }
        throw Failure("\(mirror.key.name) kept answering add-checkpoint with 409")
    }

    private func addEntries(upTo checkpoint: SignedCheckpoint) async throws(Failure) -> String {
        let end = checkpoint.checkpoint.treeSize
        // Start by claiming nothing is missing: the mirror's 409 says where it needs entries from.
        var start = end
        var lastStart: UInt64?
        var prepared: (start: UInt64, body: [UInt8])?
        while true {
            let body: [UInt8]
            if let prepared, prepared.start == start { body = prepared.body } else { body = try request(from: start, to: end) }
            // While the mirror takes this request, the next one is made, from where it should go on.
            let expected = EntryUpload.Header(origin: log.origin, start: start, end: end).packages
                .dropFirst(EntryUpload.packagesPerRequest).first?.start
            async let following = expected.flatMap { next in (try? request(from: next, to: end)).map { (next, $0) } }
            let (status, answer) = try await send("add-entries", body, "application/octet-stream")
            prepared = await following
            switch status {
            case 200:
                for line in answer.split(separator: "\n").map(String.init) {
                    if let time = try? mirror.key.verify(line: line, body: checkpoint.checkpoint.body), time > 0 { return line }
                }
                throw Failure("\(mirror.key.name) answered 200 without a valid cosignature by its key")
            case 202, 409:
                let lines = answer.split(separator: "\n", omittingEmptySubsequences: false)
                guard lines.count >= 2, let size = UInt64(lines[0]), let next = UInt64(lines[1]) else {
                    throw Failure("\(mirror.key.name) answered \(status) without its pending size and next entry")
                }
                guard size == end else {
                    throw Failure("\(mirror.key.name) no longer accepts uploads up to \(end) (its pending checkpoint is of size \(size))")
                }
                guard next < end, next != lastStart else {
                    throw Failure("\(mirror.key.name) makes no progress: it needs entry \(next) of \(end) again")
                }
                lastStart = next
                start = next
            default:
                throw Failure("\(mirror.key.name) refused entries [\(start), \(end)) (\(status)): \(answer.prefix(300))")
            }
        }
    }

    /// The body of an `add-entries` request of entries `[start, end)`: its header and its first
    /// `EntryUpload.packagesPerRequest` packages.
    private func request(from start: UInt64, to end: UInt64) throws(Failure) -> [UInt8] {
        do { return try EntryUpload.body(EntryUpload.Header(origin: log.origin, start: start, end: end), from: log) } catch {
            throw Failure("cannot read entries [\(start), \(end)) from the log: \(error)")
        }
    }

    private func send(_ path: String, _ body: [UInt8], _ contentType: String) async throws(Failure) -> (Int, String) {
        let url = mirror.url.appendingPathComponent(path)
        do {
            let (status, answer) = try await transport(url, body, contentType)
            let text = String(decoding: answer, as: UTF8.self)
            // Refusals are one line of text; the mirror-info and cosignature bodies keep their lines.
            return (status, status == 200 || status == 202 || status == 409 ? text : text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            let reason = (error as? KeepAliveHTTPClient.Failure)?.description ?? (error as NSError).localizedDescription
            throw Failure("\(url.absoluteString): \(reason)")
        }
    }

    /// POSTs to the mirror at `prefix`.
    static func http(to prefix: URL) -> Transport {
        guard prefix.scheme == "http", let host = prefix.host else { return urlSession }
        let client = KeepAliveHTTPClient(host: host, port: prefix.port ?? 80, maximumIdle: 2)
        return { url, body, contentType in
            let response = try await client.post(url.path.isEmpty ? "/" : url.path, body: body, contentType: contentType)
            return (response.status, response.body)
        }
    }

    /// A POST through URLSession.
    static let urlSession: Transport = { url, body, contentType in
        var request = URLRequest(url: url, timeoutInterval: 60)
        request.httpMethod = "POST"
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, Array(data ?? Data())))
                }
            }.resume()
        }
    }
}
