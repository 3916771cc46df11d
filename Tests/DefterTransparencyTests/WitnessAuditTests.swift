import DefterLog
import DefterLogTestSupport
import DefterTransparency
import DefterWitness
import Foundation
import Testing

@Suite struct WitnessAuditTests {
    @Test("every kept cosignature by a trusted witness must verify over the log's own checkpoint, and the newest must carry the quorum")
    func cosignaturesAgainstTrustedKeys() async throws {
        try await withTemporaryLog { log, _ in
            _ = try await log.append((0..<5).map { SampleEvents.call("s\($0)", $0) })
            let first = try await log.checkpoint()
            _ = try await log.append((5..<9).map { SampleEvents.call("s\($0)", $0) })
            let second = try await log.checkpoint()
            let one = Cosigner(name: "w1.example.org/w")
            let two = Cosigner(name: "w2.example.org/w")
            let impostor = Cosigner(name: "w1.example.org/w")
            let kept: [UInt64: [String]] = [
                first.checkpoint.treeSize: [try one.cosign(body: first.checkpoint.body, time: 1)],
                second.checkpoint.treeSize: [
                    try one.cosign(body: second.checkpoint.body, time: 2), try two.cosign(body: second.checkpoint.body, time: 2),
                ],
            ]
            let both = try WitnessAudit(keys: [one.verifierKey, two.verifierKey], quorum: 2, cosignatures: kept).check(log)
            #expect(both.findings.isEmpty)
            #expect(both.verifiedByWitness == ["w1.example.org/w": 2, "w2.example.org/w": 1])
            #expect(both.newestCosigned == second.checkpoint.treeSize)
            #expect(both.newestCosigners == ["w1.example.org/w", "w2.example.org/w"])

            // A key of the same name is not the witness's key: nothing it is said to have cosigned counts.
            let wrong = try WitnessAudit(keys: [impostor.verifierKey], quorum: 1, cosignatures: kept).check(log)
            #expect(wrong.findings.count == 3)
            #expect(wrong.findings.contains { $0.message.contains("names another key") })

            // A cosignature moved onto another checkpoint does not verify.
            let moved: [UInt64: [String]] = [second.checkpoint.treeSize: kept[first.checkpoint.treeSize]!]
            let forged = try WitnessAudit(keys: [one.verifierKey], quorum: nil, cosignatures: moved).check(log)
            #expect(forged.findings.map(\.check) == [.witnesses])
            #expect(forged.findings.first?.message.contains("does not verify") == true)

            // Cosignatures for a size the log never checkpointed are a finding; unknown names are counted only.
            let stray = try WitnessAudit(keys: [one.verifierKey], quorum: 1, cosignatures: [3: [try two.cosign(body: "x\n", time: 1)]])
                .check(log)
            #expect(stray.findings.contains { $0.message.contains("has no checkpoint of") })
            let unknown = try WitnessAudit(
                keys: [two.verifierKey], quorum: 2 - 1, cosignatures: [first.checkpoint.treeSize: kept[first.checkpoint.treeSize]!]
            ).check(log)
            #expect(unknown.unverifiedByName == ["w1.example.org/w": 1])
            #expect(unknown.findings.first?.message.contains("0 valid cosignature(s) of the 1 required") == true)
        }
    }
}
