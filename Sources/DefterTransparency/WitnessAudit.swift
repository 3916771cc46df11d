public import DefterLog
public import DefterWitness
import Foundation

/// What an audit makes of the witnesses' cosignatures kept beside the log (`data/witnesses`):
/// each one, by a witness whose key the auditor gives, must verify over the log's own checkpoint
/// of that size, and the newest checkpoint must carry the quorum the auditor asks for.
public struct WitnessAudit: Sendable {
    /// The witnesses the auditor trusts, by their verifier keys.
    public let keys: [CosignerVerifierKey]
    /// How many of them must have cosigned the newest cosigned checkpoint (nil: no requirement).
    public let quorum: Int?
    /// The kept cosignature lines, by tree size (`WitnessClient.keptCosignatures(at:)`).
    public let cosignatures: [UInt64: [String]]

    /// An audit of `cosignatures` against `keys`.
    public init(keys: [CosignerVerifierKey], quorum: Int?, cosignatures: [UInt64: [String]]) {
        self.keys = keys
        self.quorum = quorum
        self.cosignatures = cosignatures
    }

    /// What the check found.
    public struct Outcome: Sendable, Equatable {
        public var findings: [AuditFinding] = []
        /// Per trusted witness, how many checkpoints its valid cosignature covers.
        public var verifiedByWitness: [String: Int] = [:]
        /// Cosignatures by witnesses whose key was not given: counted, not verified.
        public var unverifiedByName: [String: Int] = [:]
        /// The newest checkpoint with a cosignature, and who cosigned it validly.
        public var newestCosigned: UInt64?
        public var newestCosigners: [String] = []
    }

    /// Checks every kept cosignature against the log's checkpoints.
    public func check(_ log: EventLog) throws -> Outcome {
        var outcome = Outcome()
        let checkpoints = Dictionary(try log.checkpoints().map { ($0.checkpoint.treeSize, $0) }, uniquingKeysWith: { first, _ in first })
        let byName = Dictionary(keys.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in byName.keys { outcome.verifiedByWitness[name] = 0 }
        for size in cosignatures.keys.sorted() {
            let lines = cosignatures[size] ?? []
            func finding(_ message: String) {
                outcome.findings.append(AuditFinding(check: .witnesses, subject: "checkpoint of size \(size)", message: message))
            }
            guard let checkpoint = checkpoints[size] else {
                finding("\(lines.count) cosignature(s) are kept for a tree size the log has no checkpoint of")
                continue
            }
            var valid: [String] = []
            for kept in lines {
                let line = kept.trimmingCharacters(in: .whitespacesAndNewlines)
                guard let name = CosignerVerifierKey.signer(of: line) else {
                    finding("a kept line is not a signed-note signature: \(line.prefix(80))")
                    continue
                }
                guard let key = byName[name] else {
                    outcome.unverifiedByName[name, default: 0] += 1
                    continue
                }
                do {
                    guard try key.verify(line: line, body: checkpoint.checkpoint.body) != nil else {
                        finding("the cosignature of \(name) names another key than the one given for \(name)")
                        continue
                    }
                    valid.append(name)
                    outcome.verifiedByWitness[name, default: 0] += 1
                } catch {
                    finding("\(error): the kept cosignature does not vouch for this checkpoint")
                }
            }
            if outcome.newestCosigned.map({ size > $0 }) ?? true {
                outcome.newestCosigned = size
                outcome.newestCosigners = valid.sorted()
            }
        }
        if let quorum, !keys.isEmpty {
            let have = outcome.newestCosigners.count
            if have < quorum {
                outcome.findings.append(
                    AuditFinding(
                        check: .witnesses, subject: outcome.newestCosigned.map { "checkpoint of size \($0)" } ?? "witnesses",
                        message: outcome.newestCosigned == nil
                            ? "no checkpoint is cosigned by any witness, and \(quorum) are required"
                            : "the newest cosigned checkpoint carries \(have) valid cosignature(s) of the \(quorum) required (\(outcome.newestCosigners.joined(separator: ", ")))"
                    ))
            }
        }
        return outcome
    }
}
