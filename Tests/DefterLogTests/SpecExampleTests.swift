import Crypto
import DefterLog
import Foundation
import Testing

/// The examples the C2SP specifications give, read by Defter's own parsers. (The tile examples,
/// paths and the tiles of trees of 70,000 and 256 entries, are in `TileLayoutTests`.)
@Suite struct SpecExampleTests {
    /// C2SP signed-note v1.0.0, "Example" (https://c2sp.org/signed-note): this verifier key
    /// verifies this note.
    @Test func theSignedNoteExampleVerifiesWithItsVerifierKey() throws {
        let key = try CheckpointVerifierKey(vkey: "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        // The key id the spec's formula gives, SHA-256(name || 0x0A || 0x01 || key)[:4], is the one in the text.
        #expect(key.name == "example.com/foo" && Hex.encode(key.keyID) == "530d903a")
        #expect(key.vkey == "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")

        let body = "This is an example message.\n"
        let line = "\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
        let blob = try #require(Data(base64Encoded: String(line.split(separator: " ")[2])))
        #expect(Array(blob.prefix(4)) == key.keyID)
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: key.publicKeyBytes)
        #expect(publicKey.isValidSignature(blob.dropFirst(4), for: Data(body.utf8)))
        #expect(!publicKey.isValidSignature(blob.dropFirst(4), for: Data("This is an example message!\n".utf8)))
    }

    /// C2SP tlog-checkpoint's example has no time line; Defter's checkpoints always carry one
    /// (`Schemas/log-format.md`), so its parser refuses the example rather than misread it.
    @Test func theCheckpointExampleWithoutATimeLineIsRefusedByName() {
        let note = """
            example.com/behind-the-sofa
            20852163
            CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

            \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=

            """
        #expect(throws: CheckpointError.malformed("the body has 3 lines; expected origin, size, root and time")) {
            try SignedCheckpoint(parsing: note)
        }
    }
}
