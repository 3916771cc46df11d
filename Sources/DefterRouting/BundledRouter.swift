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

    /// The trained model shipped with Defter (`Resources/router-model.bin`, made by
    /// `defter routing train`); its SHA-256 is in `Resources/router-model.bin.sha256`.
    public static func bundledModel() throws -> LinearModel {
        guard let url = Bundle.module.url(forResource: "router-model", withExtension: "bin") else {
            throw DomainInputError(field: "router", reason: "the bundled router-model.bin is missing from this build")
        }
        return try LinearModel(bytes: Array(try Data(contentsOf: url)))
    }

    /// The shipped router: the bundled model, loaded rather than trained, so start-up is fast.
    /// `threshold` overrides the model's calibrated one.
    public static func bundled(catalog: Catalog, threshold: Double? = nil) throws -> Router {
        try Router(catalog: catalog, model: try bundledModel(), threshold: threshold)
    }

    /// The naive Bayes router of Defter's first version, trained now on `corpus` (by default the
    /// bundled one), for comparison.
    public static func naiveBayes(catalog: Catalog, corpus: RoutingCorpus? = nil, threshold: Double = 0.6) throws -> Router {
        try Router(catalog: catalog, corpus: try corpus ?? bundledCorpus(), lexicon: try bundledLexicon(), threshold: threshold)
    }

    private static func resource(_ name: String, _ type: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: type) else {
            throw DomainInputError(field: "router", reason: "the bundled \(name).\(type) is missing from this build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
