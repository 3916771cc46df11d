import Crypto
import DefterLog
import DefterLogTestSupport
import DefterWitness
import Foundation
import Testing

/// A log and a witness that follows it, both real, in a temporary folder.
private func withWitness(_ body: (EventLog, Witness, Cosigner, URL) async throws -> Void) async throws {
    try await withTemporaryLog { log, root in
        let cosigner = Cosigner(name: "witness.example.org/w1")
        let witness = try Witness(folder: root.appendingPathComponent("witness"), cosigner: cosigner, logs: [log.verifierKey])
        defer { witness.close() }
        try await body(log, witness, cosigner, root)
    }
}

private func request(old: UInt64, proof: [MerkleHash], _ checkpoint: SignedCheckpoint) -> [UInt8] {
    Array(("old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.text).utf8)
}

private func grow(_ log: EventLog, _ range: Range<Int>) async throws -> SignedCheckpoint {
    _ = try await log.append(range.map { SampleEvents.call("s\($0 % 5)", $0) })
    return try await log.checkpoint()
}

@Suite struct WitnessTests {
    @Test func cosignsAFirstCheckpointThenOnlyConsistentOnesAndTheCosignatureVerifies() async throws {
        try await withWitness { log, witness, cosigner, _ in
            let first = try await grow(log, 0..<10)
            let answer = witness.addCheckpoint(request(old: 0, proof: [], first))
            #expect(answer.status == 200)
            #expect(try cosigner.verifierKey.verify(line: String(answer.body.dropLast()), body: first.checkpoint.body) != nil)
            #expect(try witness.cosignedSize(of: log.origin) == 10)

            let second = try await grow(log, 10..<37)
            let proof = try log.consistencyProof(from: 10, to: 37).path
            #expect(witness.addCheckpoint(request(old: 10, proof: proof, second)).status == 200)
            #expect(try witness.cosignedSize(of: log.origin) == 37)
        }
    }

    @Test func itShowsMonitorsTheNewestCheckpointItCosignedWithBothSignatures() async throws {
        try await withWitness { log, witness, _, _ in
            let originHash = Hex.encode(SHA256.hash(data: Array(log.origin.utf8)))
            #expect(witness.cosignedCheckpoint(originHash: originHash).status == 404, "nothing cosigned yet")
            #expect(witness.cosignedCheckpoint(originHash: String(repeating: "0", count: 64)).status == 404, "a log it does not follow")
            let first = try await grow(log, 0..<10)
            let cosignature = witness.addCheckpoint(request(old: 0, proof: [], first)).body
            #expect(witness.cosignedCheckpoint(originHash: originHash).body == first.text + cosignature)
            // A checkpoint it refused changes nothing it shows.
            let second = try await grow(log, 10..<20)
            #expect(witness.addCheckpoint(request(old: 0, proof: [], second)).status == 409)
            #expect(witness.cosignedCheckpoint(originHash: originHash).body == first.text + cosignature)
        }
    }

    @Test func aStaleOldSizeIs409WithTheSizeTheWitnessHas() async throws {
        try await withWitness { log, witness, _, _ in
            let first = try await grow(log, 0..<10)
            _ = witness.addCheckpoint(request(old: 0, proof: [], first))
            let second = try await grow(log, 10..<20)
            let answer = witness.addCheckpoint(request(old: 0, proof: [], second))
            #expect(answer.status == 409 && answer.contentType == "text/x.tlog.size" && answer.body == "10\n")
        }
    }

    @Test func aRewrittenHistoryIsRefusedWith422() async throws {
        // The primary's log is rewritten: another log, signed with the same key, whose first ten
        // entries differ. Its checkpoint cannot be proven consistent with the one cosigned.
        try await withWitness { log, witness, _, root in
            // The fork starts as a copy of the empty log, with its signing key.
            let forkFolder = root.appendingPathComponent("fork")
            _ = try log.backup(to: forkFolder)
            try FileManager.default.copyItem(
                at: log.folder.appendingPathComponent("checkpoint.key"), to: forkFolder.appendingPathComponent("checkpoint.key"))
            let honest = try await grow(log, 0..<10)
            #expect(witness.addCheckpoint(request(old: 0, proof: [], honest)).status == 200)
            let fork = try EventLog.open(at: forkFolder)
            defer { fork.close() }
            #expect(fork.origin == log.origin && fork.verifierKey == log.verifierKey)
            _ = try await fork.append((0..<10).map { SampleEvents.call("rewritten", $0) })
            let forged = try await grow(fork, 10..<20)
            let proof = try fork.consistencyProof(from: 10, to: 20).path
            let answer = witness.addCheckpoint(request(old: 10, proof: proof, forged))
            #expect(answer.status == 422)
            #expect(answer.body.contains("not consistent"))
            #expect(try witness.cosignedSize(of: log.origin) == 10)
        }
    }

    @Test func unknownLogsBadSignaturesAndMalformedBodiesAreRefusedAsTheSpecSays() async throws {
        try await withWitness { log, witness, _, root in
            let first = try await grow(log, 0..<3)
            let other = try EventLog.open(at: root.appendingPathComponent("other"))
            defer { other.close() }
            let unknown = try await grow(other, 0..<3)
            #expect(witness.addCheckpoint(request(old: 0, proof: [], unknown)).status == 404)
            var tampered = request(old: 0, proof: [], first)
            let at = tampered.count - 10
            tampered[at] = tampered[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(witness.addCheckpoint(tampered).status == 403)
            #expect(witness.addCheckpoint(Array("old 2\n\n".utf8) + Array(first.text.utf8)).status == 409)
            #expect(witness.addCheckpoint(Array("old 9\n\n".utf8) + Array(first.text.utf8)).status == 400)
            #expect(witness.addCheckpoint(Array("old 01\n\n".utf8) + Array(first.text.utf8)).status == 400)
            #expect(witness.addCheckpoint(request(old: 0, proof: [.emptyTree], first)).status == 422)
            #expect(witness.addCheckpoint(Array("hello".utf8)).status == 400)
            #expect(try witness.cosignedSize(of: log.origin) == 0)
        }
    }

    @Test func itsRecordSurvivesARestart() async throws {
        try await withTemporaryLog { log, root in
            let cosigner = Cosigner(name: "witness.example.org/w2")
            let folder = root.appendingPathComponent("witness")
            let first = try await grow(log, 0..<4)
            var witness = try Witness(folder: folder, cosigner: cosigner, logs: [log.verifierKey])
            #expect(witness.addCheckpoint(request(old: 0, proof: [], first)).status == 200)
            witness.close()
            witness = try Witness(folder: folder, cosigner: try Cosigner(fileText: cosigner.fileText), logs: [log.verifierKey])
            defer { witness.close() }
            #expect(try witness.cosignedSize(of: log.origin) == 4)
            #expect(witness.addCheckpoint(request(old: 0, proof: [], first)).body == "4\n")
        }
    }

    @Test func keysRoundTripAndAreRefusedWhenDamaged() throws {
        let cosigner = Cosigner(name: "witness.example.org/w3")
        #expect(try CosignerVerifierKey(vkey: cosigner.verifierKey.vkey) == cosigner.verifierKey)
        #expect(try Cosigner(fileText: cosigner.fileText).verifierKey == cosigner.verifierKey)
        #expect(throws: WitnessKeyError.self) { try CosignerVerifierKey(vkey: "w+00000000+AAAA") }
        #expect(throws: WitnessKeyError.self) { try Cosigner(fileText: "PRIVATE+KEY+w+00000000+AAAA") }
        // A cosignature line from another key is not this key's: nil, not an error.
        let line = try Cosigner(name: "other").cosign(body: "o\n1\nAAAA\n", time: 5)
        #expect(try cosigner.verifierKey.verify(line: String(line.dropLast()), body: "o\n1\nAAAA\n") == nil)
    }
}
