import Foundation

/// A self-contained, offline-verifiable proof that an entry is in the log, in the text format of
/// C2SP `tlog-proof@v1`: the entry's zero-based index, its Merkle inclusion path (RFC 6962
/// §2.1.1, leaf's sibling first), and the signed checkpoint the path leads to, verbatim. The
/// entry's bytes travel in the `extra` line, so that the leaf hash can be recomputed from the
/// file alone (`extra` is not authenticated: a verifier hashes it and checks the path).
public enum TlogProof {
    /// The first line of every proof.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// The proof of `proof`'s entry, whose bytes are `entry`, against `checkpoint`.
    ///
    /// The path must lead to the checkpoint's tree: `proof.treeSize` equal to its size.
    public static func text(entry: [UInt8], proof: InclusionProof, checkpoint: SignedCheckpoint) -> String {
        precondition(proof.treeSize == checkpoint.checkpoint.treeSize, "the inclusion path must be against the checkpoint's tree")
        var out = header + "\n"
        out += "extra " + Data(entry).base64EncodedString() + "\n"
        out += "index \(proof.sequence - 1)\n"
        for hash in proof.path { out += hash.base64 + "\n" }
        out += "\n" + checkpoint.text
        return out
    }
}
