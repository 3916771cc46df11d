public import DefterDomain
import Foundation

extension Router {
    /// The corpus shipped with Defter (`Resources/corpus.csv`).
    public static func bundledCorpus() throws -> RoutingCorpus {
        try RoutingCorpus(csv: try resource("corpus", "csv"))
    }

    /// The lexicon shipped with Defter (`Resources/lexicon.json`).
    public static func bundledLexicon() throws -> Lexicon {
        try JSONDecoder().decode(Lexicon.self, from: Data(try resource("lexicon", "json").utf8))
    }

    /// A router trained on the whole bundled corpus.
    public static func bundled(catalog: Catalog, threshold: Double = 0.6) throws -> Router {
        try Router(catalog: catalog, corpus: try bundledCorpus(), lexicon: try bundledLexicon(), threshold: threshold)
    }

    private static func resource(_ name: String, _ type: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: type) else {
            throw DomainInputError(field: "router", reason: "the bundled \(name).\(type) is missing from this build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
