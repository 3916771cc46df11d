import Testing

@testable import DefterLog

/// Leaf and node hashes, by both the CPU's SHA extensions (where present) and the portable code,
/// against digests computed with Python's `hashlib` over the same bytes.
@Suite(.serialized) struct SHA256Tests {
    /// `SHA-256(0x00 || bytes)` where byte `i` is `(7 * i + 3) mod 256`, for lengths around the
    /// block and padding boundaries.
    static let leaves: [(length: Int, hex: String)] = [
        (0, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (1, "583c7dfb7b3055d99465544032a571e10a134b1b6f769422bbb71fd7fa167a5d"),
        (55, "9929b65aa9eaf19f9e3402ea53728f96b933fff4d8936222573ed3703373c08e"),
        (62, "e95d76348e81e74d8c27cefd44c780e69a882280a6dd13c661534ff4a858ed9c"),
        (63, "d7f422b617f5c7bfa8183095e9c9b55726bb2bee9c9589c48e87a621fd026079"),
        (64, "d7b08e9ac5d272bfe86bd0c16c033defd3cc6bacadd05622f63bdcb0b0286c4f"),
        (119, "2e3264ef62f740debee6ef8b00b494cf3eb4d0210d011783c520daa40ae07eaa"),
        (200, "92c5341bd104704420fb30de5f4b7baf52d10867668e67e1bb448f9c2a58308d"),
        (378, "4ec44210e3455a096f8d5303d88d60e6bc423a580b3339905d911bbedd65b81b"),
        (1000, "a74d1a235bc6a9f04cd14cf191fc0b80d5eb4b834610cf492eff495b2ebbb893"),
    ]

    static func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) } }

    @Test(arguments: [true, false])
    func leafAndNodeHashesMatchReferenceDigests(cpuExtensions: Bool) {
        MerkleHash.useCPUExtensions(cpuExtensions)
        defer { MerkleHash.useCPUExtensions(true) }
        for (length, hex) in Self.leaves {
            #expect(MerkleHash.leaf(Self.bytes(length)).hex == hex, "length \(length)")
        }
        let left = MerkleHash(bytes: Array(0..<32))!
        let right = MerkleHash(bytes: Array(32..<64))!
        #expect(MerkleHash.node(left, right).hex == "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57")
    }

    @Test func extensionsAndPortableCodeAgreeOnEveryLengthUpToFourBlocks() {
        defer { MerkleHash.useCPUExtensions(true) }
        for length in 0...256 {
            let input = Self.bytes(length)
            MerkleHash.useCPUExtensions(true)
            let fast = MerkleHash.leaf(input)
            MerkleHash.useCPUExtensions(false)
            #expect(MerkleHash.leaf(input) == fast, "length \(length)")
        }
    }
}
