public import DefterDomain

extension RoutingDecision {
    /// Where in `text` the words that decided this decision stand, as UTF-16 offsets (the
    /// indices a browser's JavaScript strings use), in text order and not overlapping.
    ///
    /// A word counts when it matches one of `terms` as the router matches them: the same stem
    /// after Turkish folding (`çukur` in `çukurlar`), or, for a model feature (`asfalt*`) or a
    /// long term, a word it begins. Each word of a phrase term counts on its own.
    public func highlights(in text: String) -> [Range<Int>] {
        let wanted: [(folded: String, stem: String, prefix: Bool)] = terms.flatMap { term in
            let isFeature = term.hasSuffix("*")
            return TurkishText.words(isFeature ? String(term.dropLast()) : term).map { word in
                (folded: word, stem: TurkishText.stem(word), prefix: isFeature || word.count >= 6)
            }
        }
        guard !wanted.isEmpty else { return [] }
        var spans: [Range<Int>] = []
        var offset = 0
        var wordStart: Int?
        var word = ""
        func finishWord() {
            defer {
                wordStart = nil
                word = ""
            }
            guard let start = wordStart, let folded = TurkishText.words(word).first else { return }
            let stem = TurkishText.stem(folded)
            if wanted.contains(where: { $0.stem == stem || ($0.prefix && $0.folded.count >= 3 && folded.hasPrefix($0.folded)) }) {
                spans.append(start..<offset)
            }
        }
        for character in text {
            if character.isLetter || character.isNumber {
                if wordStart == nil { wordStart = offset }
                word.append(character)
            } else {
                finishWord()
            }
            offset += character.utf16.count
        }
        finishWord()
        return spans
    }
}
