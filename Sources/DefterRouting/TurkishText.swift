/// Turkish text as the router sees it: folded to lowercase the Turkish way (`İ`→`i`, `I`→`ı`),
/// then to ASCII (`ç`→`c`, `ğ`→`g`, `ı`→`i`, `ö`→`o`, `ş`→`s`, `ü`→`u`), because callers often
/// type without diacritics: `cop` and `çöp` become the same word.
public enum TurkishText {
    /// Lowercases with Turkish rules and removes diacritics.
    public static func fold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "I", "ı", "İ", "i", "î", "Î", "ì", "í": out.append("i")
            case "Ç", "ç": out.append("c")
            case "Ğ", "ğ": out.append("g")
            case "Ö", "ö", "ô", "ò", "ó": out.append("o")
            case "Ş", "ş": out.append("s")
            case "Ü", "ü", "û", "ù", "ú": out.append("u")
            case "Â", "â", "à", "á": out.append("a")
            case "\u{0307}", "\u{0300}", "\u{0301}", "\u{0302}", "\u{0306}", "\u{0308}", "\u{0327}": continue  // combining marks
            default:
                if scalar.value < 0x80 {
                    let v = scalar.value
                    out.append((0x41...0x5a).contains(v) ? Unicode.Scalar(v + 0x20)! : scalar)
                } else {
                    for lowered in String(scalar).lowercased().unicodeScalars { out.append(lowered) }
                }
            }
        }
        return String(out)
    }

    /// The folded words of `text`: runs of letters and digits.
    public static func words(_ text: String) -> [String] {
        fold(text).split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// Inflectional endings, folded, longest first: plural, possessive and case suffixes.
    static let endings: [String] = [
        "lerinden", "larindan", "lerinde", "larinda", "lerine", "larina", "lerini", "larini", "lerin", "larin", "leri", "lari",
        "inden", "indan", "unden", "undan", "ler", "lar", "imiz", "umuz", "iniz", "unuz", "inde", "inda", "unde", "unda",
        "nden", "ndan", "den", "dan", "ten", "tan", "nin", "nun", "de", "da", "te", "ta", "in", "un", "yi", "yu", "ya", "ye",
        "si", "su", "ni", "nu", "im", "um", "i", "u", "a", "e",
    ]

    /// The stem of a folded word: inflectional endings stripped (at most two, keeping at least
    /// three letters), and a softened final consonant hardened again, so that `copler`,
    /// `coplerin` and `copu` all give `cop`, and `kopegi` gives `kopek`.
    public static func stem(_ word: String) -> String {
        var stem = word
        for _ in 0..<2 {
            guard let ending = endings.first(where: { stem.hasSuffix($0) && stem.count - $0.count >= 3 }) else { break }
            stem.removeLast(ending.count)
        }
        if stem.count >= 4, stem != word {
            switch stem.last {
            case "g": stem = String(stem.dropLast()) + "k"
            case "b": stem = String(stem.dropLast()) + "p"
            default: break
            }
        }
        return stem
    }

    /// Character n-grams of a folded word with boundary marks, which survive misspellings
    /// (`konteynir`, `konteyner`) and odd suffixes.
    public static func characterGrams(_ word: String, size: Int = 4) -> [String] {
        let marked = Array("<" + word + ">")
        guard marked.count > size else { return [String(marked)] }
        return (0...(marked.count - size)).map { String(marked[$0..<($0 + size)]) }
    }

    /// `endings` as UTF-8.
    static let endingBytes: [[UInt8]] = endings.map { Array($0.utf8) }

    /// `stem(_:)` on the UTF-8 of a folded word (the same result for ASCII words).
    static func stem(bytes word: [UInt8]) -> [UInt8] {
        var length = word.count
        for _ in 0..<2 {
            guard
                let ending = endingBytes.first(where: { ending in
                    length - ending.count >= 3 && word[(length - ending.count)..<length].elementsEqual(ending)
                })
            else { break }
            length -= ending.count
        }
        var stem = Array(word[0..<length])
        if stem.count >= 4, length != word.count {
            switch stem.last {
            case UInt8(ascii: "g"): stem[stem.count - 1] = UInt8(ascii: "k")
            case UInt8(ascii: "b"): stem[stem.count - 1] = UInt8(ascii: "p")
            default: break
            }
        }
        return stem
    }

    /// `stopWords` as UTF-8.
    static let stopWordBytes: Set<[UInt8]> = Set(stopWords.map { Array($0.utf8) })

    /// Calls `body` with the UTF-8 of each folded word of `text` (as `words(_:)` splits them:
    /// runs of letters and digits), without making strings: the router's hot path.
    static func forEachFoldedWord(_ text: String, _ body: ([UInt8]) -> Void) {
        var word: [UInt8] = []
        word.reserveCapacity(32)
        func flush() {
            if !word.isEmpty {
                body(word)
                word.removeAll(keepingCapacity: true)
            }
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                switch v {
                case 0x41...0x5a:
                    // ASCII capitals; `I` folds to `i` like `ı`.
                    word.append(UInt8(v + 0x20))
                case 0x61...0x7a, 0x30...0x39: word.append(UInt8(v))
                default: flush()
                }
                continue
            }
            switch scalar {
            case "ı", "İ", "î", "Î", "ì", "í": word.append(UInt8(ascii: "i"))
            case "Ç", "ç": word.append(UInt8(ascii: "c"))
            case "Ğ", "ğ": word.append(UInt8(ascii: "g"))
            case "Ö", "ö", "ô", "ò", "ó": word.append(UInt8(ascii: "o"))
            case "Ş", "ş": word.append(UInt8(ascii: "s"))
            case "Ü", "ü", "û", "ù", "ú": word.append(UInt8(ascii: "u"))
            case "Â", "â", "à", "á": word.append(UInt8(ascii: "a"))
            case "\u{0307}", "\u{0300}", "\u{0301}", "\u{0302}", "\u{0306}", "\u{0308}", "\u{0327}": continue  // combining marks
            default:
                if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                    for lowered in String(scalar).lowercased().utf8 { word.append(lowered) }
                } else {
                    flush()
                }
            }
        }
        flush()
    }

    /// Words that carry no topic.
    static let stopWords: Set<String> = [
        "ve", "ile", "bir", "bu", "su", "o", "da", "de", "ki", "mi", "mu", "ne", "icin", "gibi", "cok", "daha", "en", "ama",
        "fakat", "ya", "veya", "hem", "her", "hic", "biz", "siz", "ben", "sen", "onlar", "bizim", "sizin", "benim", "var",
        "yok", "olan", "oldu", "olarak", "diye", "kadar", "sonra", "once", "artik", "hala", "yine", "lutfen", "rica",
        "ediyorum", "ederim", "merhaba", "iyi", "gunler", "tesekkur", "tesekkurler", "acaba", "nolur", "no", "numara",
        "sokak", "sok", "cadde", "caddesi", "cad", "mahalle", "mahallesi", "mah", "apt", "kat", "daire", "yani", "simdi",
    ]

    /// The features the model reads: stems of the content words and their character 4-grams.
    public static func features(_ text: String) -> [String] {
        var features: [String] = []
        for word in words(text) where !stopWords.contains(word) && !(word.allSatisfy(\.isNumber)) {
            features.append("w:" + stem(word))
            if word.count >= 4 { features.append(contentsOf: characterGrams(word).map { "g:" + $0 }) }
        }
        return features
    }
}
