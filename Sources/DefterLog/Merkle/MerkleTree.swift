import Crypto

/// The Merkle tree algorithms of RFC 9162 section 2.1, over a store of perfect subtrees.
///
/// A *perfect node* `(level, index)` is the hash of the `2^level` leaves starting at
/// `index * 2^level`; level 0 holds the leaf hashes. Every other subtree hash, the root, and every
/// proof are computed from O(log n) perfect nodes.
public enum MerkleTree {
    /// Reads the perfect node at `(level, index)`.
    public typealias PerfectNode = (_ level: Int, _ index: UInt64) throws -> MerkleHash

    /// The root hash of the tree of the first `size` leaves.
    public static func root(size: UInt64, node: PerfectNode) throws -> MerkleHash {
        size == 0 ? .emptyTree : try subtree(start: 0, end: size, node: node)
    }

    /// The hash of leaves `[start, end)`, where `start` is a multiple of the largest power of two
    /// not exceeding `end - start` (true of every subtree RFC 9162's algorithms visit).
    static func subtree(start: UInt64, end: UInt64, node: PerfectNode) throws -> MerkleHash {
        let count = end - start
        precondition(count > 0, "empty subtree")
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return try node(level, start >> UInt64(level))
        }
        let split = largestPowerOfTwo(below: count)
        return MerkleHash.node(
            try subtree(start: start, end: start + split, node: node),
            try subtree(start: start + split, end: end, node: node))
    }

    /// The inclusion proof (audit path, RFC 9162 2.1.3.1) of leaf `index` in the tree of `size`
    /// leaves.
    public static func inclusionProof(index: UInt64, size: UInt64, node: PerfectNode) throws -> [MerkleHash] {
        precondition(index < size, "leaf index outside the tree")
        var proof: [MerkleHash] = []
        try path(index, start: 0, count: size, node: node, into: &proof)
        return proof
    }

    private static func path(
        _ m: UInt64, start: UInt64, count: UInt64, node: PerfectNode, into proof: inout [MerkleHash]
    ) throws {
        guard count > 1 else { return }
        let k = largestPowerOfTwo(below: count)
        if m < k {
            try path(m, start: start, count: k, node: node, into: &proof)
            proof.append(try subtree(start: start + k, end: start + count, node: node))
        } else {
            try path(m - k, start: start + k, count: count - k, node: node, into: &proof)
            proof.append(try subtree(start: start, end: start + k, node: node))
        }
    }

    /// The consistency proof (RFC 9162 2.1.4.1) between the trees of `oldSize` and `newSize`
    /// leaves, `0 < oldSize <= newSize`.
    public static func consistencyProof(oldSize: UInt64, newSize: UInt64, node: PerfectNode) throws -> [MerkleHash] {
        precondition(oldSize > 0 && oldSize <= newSize, "consistency proof needs 0 < old size <= new size")
        guard oldSize < newSize else { return [] }
        var proof: [MerkleHash] = []
        try subproof(oldSize, start: 0, count: newSize, complete: true, node: node, into: &proof)
        return proof
    }

    private static func subproof(
        _ m: UInt64, start: UInt64, count: UInt64, complete: Bool, node: PerfectNode,
        into proof: inout [MerkleHash]
    ) throws {
        if m == count {
            if !complete { proof.append(try subtree(start: start, end: start + count, node: node)) }
            return
        }
        let k = largestPowerOfTwo(below: count)
        if m <= k {
            try subproof(m, start: start, count: k, complete: complete, node: node, into: &proof)
            proof.append(try subtree(start: start + k, end: start + count, node: node))
        } else {
            try subproof(m - k, start: start + k, count: count - k, complete: false, node: node, into: &proof)
            proof.append(try subtree(start: start, end: start + k, node: node))
        }
    }

    /// Whether `[start, end)` is a subtree in the sense of draft-ietf-plants-merkle-tree-certs-02
    /// section 4.1 (which C2SP `tlog-mirror` uses): `start < end`, and `start` a multiple of the
    /// smallest power of two not below `end - start`.
    public static func isSubtree(start: UInt64, end: UInt64) -> Bool {
        guard start < end else { return false }
        let count = end - start
        // BIT_CEIL(count) would overflow past 2^63; only a subtree starting at 0 is that large.
        guard count <= UInt64(1) << 63 else { return start == 0 }
        let ceiling = count == 1 ? 1 : UInt64(1) << UInt64(64 - (count - 1).leadingZeroBitCount)
        return start % ceiling == 0
    }

    /// The subtree consistency proof `SUBTREE_PROOF(start, end, D_size)` of
    /// draft-ietf-plants-merkle-tree-certs-02 section 4.4.1: the hashes that, with the subtree's own
    /// hash, make the root of the tree of `size` leaves, so that the subtree `[start, end)` is shown
    /// to be part of it. `[start, end)` must be a subtree (`isSubtree`) with `end <= size`.
    public static func subtreeConsistencyProof(start: UInt64, end: UInt64, size: UInt64, node: PerfectNode) throws -> [MerkleHash] {
        precondition(isSubtree(start: start, end: end) && end <= size, "[\(start), \(end)) is not a subtree of a tree of \(size)")
        var proof: [MerkleHash] = []
        try subtreeSubproof(start: start, end: end, offset: 0, count: size, known: true, node: node, into: &proof)
        return proof
    }

    /// `SUBTREE_SUBPROOF(start, end, D[offset:offset + count], known)`, with `start` and `end`
    /// relative to `offset`; `known` says whether the verifier already holds the hash the
    /// recursion ends on.
    private static func subtreeSubproof(
        start: UInt64, end: UInt64, offset: UInt64, count: UInt64, known: Bool, node: PerfectNode, into proof: inout [MerkleHash]
    ) throws {
        if start == 0, end == count {
            if !known { proof.append(try subtree(start: offset, end: offset + count, node: node)) }
            return
        }
        let k = largestPowerOfTwo(below: count)
        if end <= k {
            try subtreeSubproof(start: start, end: end, offset: offset, count: k, known: known, node: node, into: &proof)
            proof.append(try subtree(start: offset + k, end: offset + count, node: node))
        } else if k <= start {
            try subtreeSubproof(
                start: start - k, end: end - k, offset: offset + k, count: count - k, known: known, node: node, into: &proof)
            proof.append(try subtree(start: offset, end: offset + k, node: node))
        } else {
            // start < k < end: only a subtree starting at 0 straddles k.
            try subtreeSubproof(start: 0, end: end - k, offset: offset + k, count: count - k, known: false, node: node, into: &proof)
            proof.append(try subtree(start: offset, end: offset + k, node: node))
        }
    }

    /// The Merkle tree hash (RFC 9162 2.1.1) of `leaves`, a list of leaf hashes of its own.
    public static func hash(ofLeaves leaves: ArraySlice<MerkleHash>) -> MerkleHash {
        switch leaves.count {
        case 0: return .emptyTree
        case 1: return leaves[leaves.startIndex]
        default:
            let split = leaves.startIndex + Int(largestPowerOfTwo(below: UInt64(leaves.count)))
            return MerkleHash.node(hash(ofLeaves: leaves[..<split]), hash(ofLeaves: leaves[split...]))
        }
    }

    /// The largest power of two strictly less than `n` (`n >= 2`).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}

/// Why a proof was rejected.
public struct ProofError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason, in words.
    public let reason: String
    /// A proof that failed for `reason`.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Verification of inclusion and consistency proofs exactly as RFC 9162 sections 2.1.3.2 and
/// 2.1.4.2 describe. Inputs are raw bytes so that malformed hashes are rejected, not trapped.
public enum MerkleProof {
    /// Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]
    ) throws(ProofError) {
        guard index < size else { throw ProofError("leaf index \(index) is outside a tree of size \(size)") }
        guard leafHash.count == 32 else { throw ProofError("the leaf hash is \(leafHash.count) bytes, not 32") }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw ProofError("the proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                r = Array(MerkleHash.nodeDigest(p, r))
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = Array(MerkleHash.nodeDigest(r, p))
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw ProofError("the proof is shorter than the tree is deep") }
        guard r == root else { throw ProofError("the proof does not lead to the given root") }
    }

    /// Checks that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
    /// `newSize` leaves with root `newRoot`.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) throws(ProofError) {
        guard oldSize <= newSize else {
            throw ProofError("the old size \(oldSize) is greater than the new size \(newSize)")
        }
        guard oldSize > 0 else { throw ProofError("consistency with the empty tree proves nothing") }
        if oldSize == newSize {
            guard proof.isEmpty else { throw ProofError("equal sizes need an empty proof") }
            guard oldRoot == newRoot else { throw ProofError("equal sizes but different roots") }
            return
        }
        guard !proof.isEmpty else { throw ProofError("the proof is empty") }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw ProofError("the proof is longer than expected") }
            if fn & 1 == 1 || fn == sn {
                fr = Array(MerkleHash.nodeDigest(c, fr))
                sr = Array(MerkleHash.nodeDigest(c, sr))
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = Array(MerkleHash.nodeDigest(sr, c))
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw ProofError("the proof is shorter than expected") }
        guard fr == oldRoot else { throw ProofError("the proof does not lead to the old root") }
        guard sr == newRoot else { throw ProofError("the proof does not lead to the new root") }
    }

    /// Checks a subtree consistency proof exactly as draft-ietf-plants-merkle-tree-certs-02
    /// section 4.4.3 describes: that the subtree `[start, end)` whose hash is `subtreeHash` is part
    /// of the tree of `size` leaves whose root is `root`.
    public static func verifySubtreeConsistency(
        start: UInt64, end: UInt64, size: UInt64, proof: [[UInt8]], subtreeHash: [UInt8], root: [UInt8]
    ) throws(ProofError) {
        // 1. A subtree, inside the tree.
        guard MerkleTree.isSubtree(start: start, end: end), end <= size else {
            throw ProofError("[\(start), \(end)) is not a subtree of a tree of size \(size)")
        }
        guard subtreeHash.count == 32, root.count == 32 else { throw ProofError("a hash is not 32 bytes") }
        // 2.
        var fn = start
        var sn = end - 1
        var tn = size - 1
        func shift() {
            fn >>= 1
            sn >>= 1
            tn >>= 1
        }
        // 3. and 4.
        if sn == tn {
            while fn != sn { shift() }
        } else {
            while fn != sn && sn & 1 == 1 { shift() }
        }
        // 5. and 6.
        var path = proof[...]
        var fr: [UInt8]
        var sr: [UInt8]
        if fn == sn {
            fr = subtreeHash
            sr = subtreeHash
        } else {
            guard let first = path.popFirst(), first.count == 32 else { throw ProofError("the proof is empty") }
            fr = first
            sr = first
        }
        // 7.
        for c in path {
            guard c.count == 32 else { throw ProofError("a proof hash is not 32 bytes") }
            guard tn != 0 else { throw ProofError("the proof is longer than expected") }
            if sn & 1 == 1 || sn == tn {
                if fn < sn { fr = Array(MerkleHash.nodeDigest(c, fr)) }
                sr = Array(MerkleHash.nodeDigest(c, sr))
                while sn & 1 == 0 { shift() }
            } else {
                sr = Array(MerkleHash.nodeDigest(sr, c))
            }
            shift()
        }
        // 8.
        guard tn == 0 else { throw ProofError("the proof is shorter than expected") }
        guard fr == subtreeHash else { throw ProofError("the proof does not lead to the subtree's hash") }
        guard sr == root else { throw ProofError("the proof does not lead to the root") }
    }
}
