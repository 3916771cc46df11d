import DefterDomain
import Foundation
import Testing

@Suite struct WhiteSpaceTests {
    /// Every scalar of Unicode's White_Space property and the zero width space (which Foundation
    /// on Linux counts as white space too), and some that look like space but are not.
    static let whiteSpace: [Unicode.Scalar] = [
        "\u{9}", "\u{A}", "\u{B}", "\u{C}", "\u{D}", "\u{20}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2001}", "\u{2002}",
        "\u{2003}", "\u{2004}", "\u{2005}", "\u{2006}", "\u{2007}", "\u{2008}", "\u{2009}", "\u{200A}", "\u{2028}", "\u{2029}",
        "\u{202F}", "\u{205F}", "\u{3000}", "\u{200B}",
    ]
    static let notWhiteSpace: [Unicode.Scalar] = ["\u{FEFF}", "\u{180E}", "\u{0}", "a", "ç", "\u{301}"]

    @Test func trimsWhatFoundationTrims() {
        var samples = ["", " ", "yol çöktü", "  yol çöktü \n", "\r\n\t", "a b", "🚧 yol ", " \u{301}x", "x \u{301}", "é\u{2028}"]
        for scalar in Self.whiteSpace + Self.notWhiteSpace {
            let character = String(Character(scalar))
            samples += [character, character + "metin" + character, "metin" + character, character + character + "a" + character]
        }
        for sample in samples {
            #expect(
                sample.trimmingWhiteSpace() == sample.trimmingCharacters(in: .whitespacesAndNewlines),
                "\(sample.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(Substring(sample).trimmingWhiteSpace() == sample.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func theSetIsFoundationsSet() {
        for scalar in Self.whiteSpace { #expect(CharacterSet.whitespacesAndNewlines.contains(scalar), "\(scalar.value)") }
        for scalar in Self.notWhiteSpace { #expect(!CharacterSet.whitespacesAndNewlines.contains(scalar), "\(scalar.value)") }
    }
}
