import Crypto
import DefterHTTP
import DefterLog
import DefterLogTestSupport
import DefterWitness
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The log as C2SP tiles, served by the API itself.
@Suite struct TileRouteTests {
    @Test("the checkpoint and the tiles are served under /<origin hash>/ too, where C2SP tlog-mirror puts a log's copy")
    func originHashPrefix() async throws {
        try await withAPI { h in
            try await h.app.test(.router) { client in
                _ = try await recordPothole(client, h)
                let checkpoint = try await h.log.checkpoint()
                let size = checkpoint.checkpoint.treeSize
                let prefix = "/" + Hex.encode(SHA256.hash(data: Array(h.log.origin.utf8)))
                for path in ["/checkpoint", "/tile/0/000.p/\(size)", "/tile/entries/000.p/\(size)"] {
                    let plain = try await client.execute(uri: path, method: .get) { ($0.status, Array(($0.body).readableBytesView)) }
                    let prefixed = try await client.execute(uri: prefix + path, method: .get) {
                        ($0.status, Array(($0.body).readableBytesView))
                    }
                    #expect(plain.0 == .ok && prefixed.0 == .ok, "\(path)")
                    #expect(plain.1 == prefixed.1, "\(path)")
                }
                #expect(try await client.execute(uri: prefix + "/tile/0/001", method: .get) { $0.status } == .notFound)
                #expect(try await client.execute(uri: "/0000/checkpoint", method: .get) { $0.status } == .notFound)
            }
        }
    }

    #if canImport(Glibc)
        @Test("with witnesses, GET /checkpoint is the newest checkpoint their quorum cosigned, never one the log signed a moment ago")
        func checkpointWaitsForTheWitnesses() async throws {
            try await withTemporaryLog { log, folder in
                // A real witness of this log, over HTTP on a free port.
                let cosigner = Cosigner(name: "witness.example.org/w1")
                let witness = try Witness(folder: folder.appendingPathComponent("witness"), cosigner: cosigner, logs: [log.verifierKey])
                defer { witness.close() }
                try await Application(router: WitnessHTTP.router(for: witness)).test(.live) { witnessHTTP in
                    let port = try #require(witnessHTTP.port)
                    let endpoint = try WitnessClient.Endpoint(parsing: "http://127.0.0.1:\(port)/=\(cosigner.verifierKey.vkey)")
                    let witnesses = try WitnessClient(endpoints: [endpoint], folder: folder.appendingPathComponent("witnesses"), quorum: 1)
                    defer { witnesses.close() }
                    try await withAPI(on: log, in: folder, witnesses: witnesses) { h in
                        try await h.app.test(.router) { client in
                            func head() async throws -> (status: Int, note: String) {
                                try await client.execute(uri: "/checkpoint", method: .get) {
                                    ($0.status.code, String(buffer: $0.body))
                                }
                            }
                            _ = try await recordPothole(client, h)
                            let first = try await log.checkpoint()
                            let none = try await head()
                            #expect(none.status == 404, "signed, not yet cosigned: no head to show")
                            #expect(none.note.contains("cosigned by 1 witness"))

                            let outcome = await witnesses.cosign(first, of: log)["witness.example.org/w1"]
                            guard case .cosigned = outcome else {
                                Issue.record("the witness did not cosign: \(String(describing: outcome))")
                                return
                            }
                            let cosigned = try await head()
                            #expect(cosigned.status == 200)
                            #expect(cosigned.note.hasPrefix(first.text))
                            #expect(cosigned.note.contains("\n— witness.example.org/w1 "))

                            // A newer checkpoint, signed but not yet cosigned, does not replace it.
                            let anotherCall = potholeCall.replacingOccurrences(of: "tel-1", with: "tel-2")
                            try await client.execute(
                                uri: "/v1/calls", method: .post, headers: headers(h.operatorToken), body: ByteBuffer(string: anotherCall)
                            ) { #expect($0.status == .created) }
                            let second = try await log.checkpoint()
                            #expect(second.checkpoint.treeSize > first.checkpoint.treeSize)
                            #expect(try await head().note == cosigned.note)

                            _ = await witnesses.cosign(second, of: log)
                            let newer = try await head()
                            #expect(newer.note.hasPrefix(second.text) && newer.note.contains("— witness.example.org/w1 "))
                        }
                    }
                }
            }
        }
    #endif
}
