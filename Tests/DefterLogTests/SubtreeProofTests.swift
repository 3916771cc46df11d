import Crypto
import DefterLog
import Foundation
import Testing

/// Subtree consistency proofs as draft-ietf-plants-merkle-tree-certs-02 sections 4.1 and 4.4
/// define them, which C2SP `tlog-mirror` sends with each package of uploaded entries. The
/// expected values come from that draft: its worked examples (section 4.4.2, Appendix B.3) and
/// the accumulated test vector of Appendix C.3 of draft -05, whose algorithm is word for word the
/// one of -02 (https://www.ietf.org/archive/id/draft-ietf-plants-merkle-tree-certs-05.txt).
@Suite struct SubtreeProofTests {
    /// The draft's test tree: entry `i` is the single byte `i`.
    static func leaves(_ count: Int) -> [MerkleHash] { (0..<count).map { MerkleHash.leaf([UInt8($0)]) } }

    /// The perfect nodes of a tree of `leaves`, as a log stores them.
    static func perfectNodes(_ leaves: [MerkleHash]) -> MerkleTree.PerfectNode {
        { level, index in
            let width = 1 << level
            let start = Int(index) * width
            return MerkleTree.hash(ofLeaves: leaves[start..<(start + width)])
        }
    }

    static func proof(_ start: UInt64, _ end: UInt64, in leaves: [MerkleHash]) throws -> [MerkleHash] {
        try MerkleTree.subtreeConsistencyProof(start: start, end: end, size: UInt64(leaves.count), node: perfectNodes(leaves))
    }

    static func hash(_ leaves: [MerkleHash], _ range: Range<Int>) -> MerkleHash { MerkleTree.hash(ofLeaves: leaves[range]) }

    @Test func aSubtreeStartsAtAMultipleOfItsSizeRoundedUpToAPowerOfTwo() {
        #expect(MerkleTree.isSubtree(start: 0, end: 13))
        #expect(MerkleTree.isSubtree(start: 8, end: 13))
        #expect(MerkleTree.isSubtree(start: 4, end: 8))
        #expect(MerkleTree.isSubtree(start: 256, end: 300))
        #expect(!MerkleTree.isSubtree(start: 1, end: 3))
        #expect(!MerkleTree.isSubtree(start: 4, end: 9))
        #expect(!MerkleTree.isSubtree(start: 5, end: 5))
        #expect(!MerkleTree.isSubtree(start: 6, end: 5))
        #expect(MerkleTree.isSubtree(start: 0, end: .max))
        #expect(!MerkleTree.isSubtree(start: 1, end: .max))
    }

    @Test func theDraftsWorkedExamplesHaveTheHashesItNames() throws {
        let tree14 = Self.leaves(14)
        // "The subtree consistency proof for [4, 8) and a tree of size 14 contains MTH(D[0:4]) and
        // MTH(D[8:14])."
        #expect(try Self.proof(4, 8, in: tree14) == [Self.hash(tree14, 0..<4), Self.hash(tree14, 8..<14)])
        // "... for [8, 13) and a tree of size 14 contains MTH({d[12]}), MTH({d[13]}), MTH(D[8:12]),
        // and MTH(D[0:8])."
        #expect(
            try Self.proof(8, 13, in: tree14) == [tree14[12], tree14[13], Self.hash(tree14, 8..<12), Self.hash(tree14, 0..<8)])
        // Appendix B.3: [0, 6) in trees of 8 and of 7.
        let tree8 = Self.leaves(8)
        #expect(try Self.proof(0, 6, in: tree8) == [Self.hash(tree8, 4..<6), Self.hash(tree8, 6..<8), Self.hash(tree8, 0..<4)])
        let tree7 = Self.leaves(7)
        #expect(try Self.proof(0, 6, in: tree7) == [Self.hash(tree7, 4..<6), tree7[6], Self.hash(tree7, 0..<4)])
        // A subtree starting at 0 is an RFC 9162 consistency proof; a single entry, an inclusion proof.
        let tree = Self.leaves(13)
        #expect(
            try Self.proof(0, 6, in: tree) == MerkleTree.consistencyProof(oldSize: 6, newSize: 13, node: Self.perfectNodes(tree)))
        #expect(try Self.proof(9, 10, in: tree) == MerkleTree.inclusionProof(index: 9, size: 13, node: Self.perfectNodes(tree)))
    }

    /// Appendix C.3 of draft -05: for every tree of 0 to 130 entries (the empty one has none) and every subtree of it, the
    /// line `[start, end) n` followed by ` <hex>` for each proof hash, hashed together.
    @Test func everyProofOfTreesUpTo130EntriesMatchesTheDraftsAccumulatedVectorAndVerifies() throws {
        let all = Self.leaves(130)
        var accumulated = SHA256()
        var verified = 0
        for n in 1...130 {
            let tree = Array(all.prefix(n))
            let root = MerkleTree.hash(ofLeaves: tree[...]).bytes
            for end in UInt64(1)...UInt64(n) {
                for start in 0..<end where MerkleTree.isSubtree(start: start, end: end) {
                    let proof = try Self.proof(start, end, in: tree)
                    let line = "[\(start), \(end)) \(n)" + proof.map { " " + $0.hex }.joined() + "\n"
                    accumulated.update(data: Array(line.utf8))
                    try MerkleProof.verifySubtreeConsistency(
                        start: start, end: end, size: UInt64(n), proof: proof.map(\.bytes),
                        subtreeHash: Self.hash(tree, Int(start)..<Int(end)).bytes, root: root)
                    verified += 1
                }
            }
        }
        #expect(Hex.encode(accumulated.finalize()) == "c586ebbb73a5621baf2140095d87dde934e3b6503a562a1a5215b8209edd083d")
        #expect(verified > 10_000)
    }

    @Test func aProofIsRefusedWhenAnythingInItOrAboutItIsWrong() throws {
        let tree = Self.leaves(14)
        let root = Self.hash(tree, 0..<14).bytes
        let subtree = Self.hash(tree, 8..<13).bytes
        let proof = try Self.proof(8, 13, in: tree).map(\.bytes)
        func verify(
            start: UInt64 = 8, end: UInt64 = 13, size: UInt64 = 14, proof: [[UInt8]] = proof, subtreeHash: [UInt8] = subtree,
            root: [UInt8] = root
        ) throws(ProofError) {
            try MerkleProof.verifySubtreeConsistency(start: start, end: end, size: size, proof: proof, subtreeHash: subtreeHash, root: root)
        }
        try verify()
        var flipped = proof
        flipped[2][0] ^= 1
        #expect(throws: ProofError.self) { try verify(proof: flipped) }
        #expect(throws: ProofError.self) { try verify(proof: Array(proof.dropLast())) }
        #expect(throws: ProofError.self) { try verify(proof: proof + [proof[0]]) }
        #expect(throws: ProofError.self) { try verify(proof: []) }
        #expect(throws: ProofError.self) { try verify(subtreeHash: Self.hash(tree, 8..<12).bytes) }
        #expect(throws: ProofError.self) { try verify(root: Self.hash(tree, 0..<13).bytes) }
        #expect(throws: ProofError.self) { try verify(size: 13) }
        // Not a subtree at all, or past the tree's end.
        #expect(throws: ProofError.self) { try verify(start: 9) }
        #expect(throws: ProofError.self) { try verify(end: 15, size: 14) }
        #expect(throws: ProofError.self) { try verify(start: 13, end: 13) }
    }
}
