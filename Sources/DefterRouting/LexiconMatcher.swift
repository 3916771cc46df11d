public import DefterDomain

/// The lexicon's keywords prepared for matching a request's folded words: a keyword matches a
/// word with the same stem (`çöp` in `çöplerin`), a long keyword also any word it begins
/// (`konteyner` in `konteynerlerimiz`), and a phrase its words in a row (the last one as a prefix).
struct LexiconMatcher: Sendable {
    struct Keyword: Sendable {
        let words: [String]
        let stem: String
        let original: String
        let label: Int
    }

    let keywords: [Keyword]
    /// Indexes into `keywords`, so that a request is matched by looking up its words rather than
    /// by trying every keyword: single words by stem and by their first six letters, phrases by
    /// their first word.
    private let byStem: [String: [Int]]
    private let byPrefix: [String: [Int]]
    private let phrasesByFirstWord: [String: [Int]]
    private static let prefixLength = 6

    /// Prepares `lexicon` for the model's `labels`; a category the model does not know is refused.
    init(_ lexicon: Lexicon, labels: [String]) throws(DomainInputError) {
        var keywords: [Keyword] = []
        for (category, words) in lexicon.terms.sorted(by: { $0.key < $1.key }) {
            guard let label = labels.firstIndex(of: category) else {
                throw DomainInputError(field: "lexicon", reason: "category '\(category)' is not in the catalog or has no training examples")
            }
            for word in words {
                let folded = TurkishText.words(word)
                guard !folded.isEmpty else { continue }
                keywords.append(
                    Keyword(words: folded, stem: TurkishText.stem(folded.joined(separator: " ")), original: word, label: label))
            }
        }
        self.keywords = keywords
        var byStem: [String: [Int]] = [:]
        var byPrefix: [String: [Int]] = [:]
        var phrasesByFirstWord: [String: [Int]] = [:]
        for (index, keyword) in keywords.enumerated() {
            if keyword.words.count > 1 {
                phrasesByFirstWord[keyword.words[0], default: []].append(index)
            } else {
                byStem[keyword.stem, default: []].append(index)
                if keyword.words[0].count >= Self.prefixLength {
                    byPrefix[String(keyword.words[0].prefix(Self.prefixLength)), default: []].append(index)
                }
            }
        }
        self.byStem = byStem
        self.byPrefix = byPrefix
        self.phrasesByFirstWord = phrasesByFirstWord
    }

    /// The keywords found, per label (only `label`'s when given), one per stem: `çöp` and `cop`
    /// are the same evidence.
    func hits(words: [String], stems: Set<String>, only label: Int? = nil) -> [Int: [String]] {
        var candidates = Set<Int>()
        for stem in stems { candidates.formUnion(byStem[stem] ?? []) }
        for (position, word) in words.enumerated() {
            if word.count >= Self.prefixLength, let found = byPrefix[String(word.prefix(Self.prefixLength))] {
                candidates.formUnion(found.filter { word.hasPrefix(keywords[$0].words[0]) })
            }
            for index in phrasesByFirstWord[word] ?? [] {
                let phrase = keywords[index].words
                guard position + phrase.count <= words.count else { continue }
                if (1..<(phrase.count - 1)).allSatisfy({ words[position + $0] == phrase[$0] }),
                    words[position + phrase.count - 1].hasPrefix(phrase[phrase.count - 1])
                {
                    candidates.insert(index)
                }
            }
        }
        var matched: [Int: [String]] = [:]
        var matchedStems: [Int: Set<String>] = [:]
        for index in candidates.sorted() {
            let keyword = keywords[index]
            guard label == nil || keyword.label == label else { continue }
            if !(matchedStems[keyword.label]?.contains(keyword.stem) ?? false) {
                matchedStems[keyword.label, default: []].insert(keyword.stem)
                matched[keyword.label, default: []].append(keyword.original)
            }
        }
        return matched
    }
}
