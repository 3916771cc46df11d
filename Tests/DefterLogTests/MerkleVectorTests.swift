import DefterLog
import Foundation
import Testing

/// RFC 6962 / RFC 9162 test vectors from transparency-dev/merkle (see Fixtures/merkle/README.md).
@Suite struct MerkleVectorTests {
    struct InclusionCase: Decodable, CustomTestStringConvertible {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String
        let leafHash: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
        var file = ""
        var testDescription: String { file }
        enum CodingKeys: String, CodingKey { case leafIdx, treeSize, root, leafHash, proof, desc, wantErr }
    }

    struct ConsistencyCase: Decodable, CustomTestStringConvertible {
        let size1: UInt64
        let size2: UInt64
        let root1: String
        let root2: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
        var file = ""
        var testDescription: String { file }
        enum CodingKeys: String, CodingKey { case size1, size2, root1, root2, proof, desc, wantErr }
    }

    struct ReferenceRoots: Decodable {
        let leavesHex: [String]
        let rootsHexBySize: [String]
        enum CodingKeys: String, CodingKey {
            case leavesHex = "leaves_hex"
            case rootsHexBySize = "roots_hex_by_size"
        }
    }

    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/merkle")

    static func load<T: Decodable>(_ kind: String, as type: T.Type) -> [(String, T)] {
        let root = fixtures.appendingPathComponent(kind)
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
            .sorted { $0.path < $1.path }
        return files.map { url in
            let name = String(url.path.dropFirst(root.path.count + 1))
            return (name, try! JSONDecoder().decode(T.self, from: Data(contentsOf: url)))
        }
    }

    static let inclusionCases: [InclusionCase] = load("inclusion", as: InclusionCase.self).map {
        var c = $0.1
        c.file = $0.0
        return c
    }
    static let consistencyCases: [ConsistencyCase] = load("consistency", as: ConsistencyCase.self).map {
        var c = $0.1
        c.file = $0.0
        return c
    }
    static let reference = try! JSONDecoder().decode(
        ReferenceRoots.self, from: Data(contentsOf: fixtures.appendingPathComponent("reference-roots.json")))

    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }
    static func hexBytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
    }

    static var referenceLeaves: [MerkleHash] { reference.leavesHex.map { MerkleHash.leaf(hexBytes($0)) } }

    /// A perfect-node reader over leaf hashes kept in memory, the way the log reads them from LMDB.
    static func perfectNode(_ leaves: [MerkleHash]) -> MerkleTree.PerfectNode {
        { level, index in
            let start = Int(index) << level
            var row = Array(leaves[start..<start + (1 << level)])
            while row.count > 1 { row = stride(from: 0, to: row.count, by: 2).map { MerkleHash.node(row[$0], row[$0 + 1]) } }
            return row[0]
        }
    }

    @Test("the vectors are all present")
    func vectorsArePresent() {
        #expect(Self.inclusionCases.count == 98)
        #expect(Self.consistencyCases.count == 98)
    }

    @Test("roots of the first N reference leaves match RFC 6962", arguments: 0...8)
    func referenceRoot(size: Int) throws {
        let root = try MerkleTree.root(size: UInt64(size), node: Self.perfectNode(Self.referenceLeaves))
        #expect(root.hex == Self.reference.rootsHexBySize[size])
    }

    @Test("inclusion proofs are accepted exactly when the vector says so", arguments: inclusionCases)
    func inclusion(_ vector: InclusionCase) {
        let outcome = Result { () throws(ProofError) in
            try MerkleProof.verifyInclusion(
                leafHash: Self.bytes(vector.leafHash), index: vector.leafIdx, size: vector.treeSize,
                proof: (vector.proof ?? []).map(Self.bytes), root: Self.bytes(vector.root))
        }
        if vector.wantErr {
            #expect(throws: ProofError.self, "\(vector.desc) must be rejected") { try outcome.get() }
        } else {
            #expect(throws: Never.self, "\(vector.desc) must be accepted") { try outcome.get() }
        }
    }

    @Test("consistency proofs are accepted exactly when the vector says so", arguments: consistencyCases)
    func consistency(_ vector: ConsistencyCase) {
        let outcome = Result { () throws(ProofError) in
            try MerkleProof.verifyConsistency(
                oldSize: vector.size1, newSize: vector.size2, oldRoot: Self.bytes(vector.root1),
                newRoot: Self.bytes(vector.root2), proof: (vector.proof ?? []).map(Self.bytes))
        }
        if vector.wantErr {
            #expect(throws: ProofError.self, "\(vector.desc) must be rejected") { try outcome.get() }
        } else {
            #expect(throws: Never.self, "\(vector.desc) must be accepted") { try outcome.get() }
        }
    }

    @Test("the proofs we generate equal the vectors' happy paths")
    func generatedProofsMatchVectors() throws {
        let node = Self.perfectNode(Self.referenceLeaves)
        let inclusions = Self.inclusionCases.filter { !$0.wantErr && $0.treeSize > 0 && $0.treeSize <= 8 && $0.desc == "happy path" }
        #expect(!inclusions.isEmpty)
        for vector in inclusions {
            let proof = try MerkleTree.inclusionProof(index: vector.leafIdx, size: vector.treeSize, node: node)
            #expect(proof.map(\.base64) == (vector.proof ?? []), "\(vector.file)")
        }
        let consistencies = Self.consistencyCases.filter { !$0.wantErr && $0.size1 > 0 && $0.size2 <= 8 && $0.desc == "happy path" }
        #expect(!consistencies.isEmpty)
        for vector in consistencies {
            let proof = try MerkleTree.consistencyProof(oldSize: vector.size1, newSize: vector.size2, node: node)
            #expect(proof.map(\.base64) == (vector.proof ?? []), "\(vector.file)")
        }
    }

    @Test("every generated proof verifies, for every leaf and size up to 40")
    func generatedProofsVerify() throws {
        let leaves = (0..<40).map { MerkleHash.leaf([UInt8]("leaf \($0)".utf8)) }
        let node = Self.perfectNode(leaves)
        for size in UInt64(1)...40 {
            let root = try MerkleTree.root(size: size, node: node)
            for index in 0..<size {
                let proof = try MerkleTree.inclusionProof(index: index, size: size, node: node)
                try MerkleProof.verifyInclusion(
                    leafHash: leaves[Int(index)].bytes, index: index, size: size, proof: proof.map(\.bytes), root: root.bytes)
            }
            for old in UInt64(1)...size {
                let proof = try MerkleTree.consistencyProof(oldSize: old, newSize: size, node: node)
                try MerkleProof.verifyConsistency(
                    oldSize: old, newSize: size, oldRoot: try MerkleTree.root(size: old, node: node).bytes,
                    newRoot: root.bytes, proof: proof.map(\.bytes))
            }
        }
    }
}
