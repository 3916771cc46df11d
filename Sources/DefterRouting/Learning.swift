public import DefterDomain

/// Learning from the operators' corrections: a candidate model trained with them is compared with
/// the model in force on data neither saw, and is to be published only when it is better.
public struct RouterLearning: Sendable {
    /// The comparison of the two, each on the held-out fifth of the corpus and on the held-out
    /// fifth of the corrections (the same hash split for both).
    public struct Comparison: Sendable {
        /// Department accuracy on the corpus's held-out fifth: the model in force's configuration
        /// (trained on the training four-fifths of the corpus) and the candidate (the same plus the
        /// training four-fifths of the corrections).
        public let inForceHeldOut: Double
        /// The candidate's accuracy on the corpus's held-out fifth.
        public let candidateHeldOut: Double
        /// Accuracy on the held-out fifth of the corrections.
        public let inForceCorrections: Double
        /// The candidate's accuracy on the held-out fifth of the corrections.
        public let candidateCorrections: Double
        /// How many corrections were held out.
        public let heldOutCorrections: Int
        /// How much held-out accuracy the candidate may lose for a gain on the corrections.
        public let tolerance: Double

        /// Better: strictly more accurate on the held-out corrections, and no more than
        /// `tolerance` less accurate on the corpus's held-out fifth.
        public var candidateIsBetter: Bool {
            heldOutCorrections > 0 && candidateCorrections > inForceCorrections && candidateHeldOut >= inForceHeldOut - tolerance
        }
    }

    /// The corpus the model in force was trained on.
    public let corpus: RoutingCorpus
    /// The operators' corrections: request texts with the department and category they were moved to.
    public let corrections: RoutingCorpus
    let catalog: Catalog
    let lexicon: Lexicon
    let settings: LinearTrainingSettings

    /// Prepares a comparison.
    public init(
        corpus: RoutingCorpus, corrections: RoutingCorpus, catalog: Catalog, lexicon: Lexicon, settings: LinearTrainingSettings = .init()
    ) {
        self.corpus = corpus
        self.corrections = corrections
        self.catalog = catalog
        self.lexicon = lexicon
        self.settings = settings
    }

    /// Trains both configurations on the training four-fifths and measures them on the held-out fifths.
    public func compare(tolerance: Double = 0.01) throws(DomainInputError) -> Comparison {
        let corpusSplit = corpus.split()
        let correctionSplit = corrections.split()
        let inForce = try Router(
            catalog: catalog,
            model: try LinearModel.train(corpus: corpusSplit.training, catalog: catalog, lexicon: lexicon, settings: settings))
        let candidate = try Router(
            catalog: catalog,
            model: try LinearModel.train(
                corpus: RoutingCorpus(examples: corpusSplit.training.examples + correctionSplit.training.examples), catalog: catalog,
                lexicon: lexicon, settings: settings))
        func accuracy(_ router: Router, _ data: RoutingCorpus) -> Double {
            data.examples.isEmpty ? 0 : RoutingEvaluation(router: router, corpus: data).accuracy
        }
        return Comparison(
            inForceHeldOut: accuracy(inForce, corpusSplit.heldOut), candidateHeldOut: accuracy(candidate, corpusSplit.heldOut),
            inForceCorrections: accuracy(inForce, correctionSplit.heldOut),
            candidateCorrections: accuracy(candidate, correctionSplit.heldOut), heldOutCorrections: correctionSplit.heldOut.examples.count,
            tolerance: tolerance)
    }

    /// The model to publish: trained on the whole corpus and all the corrections.
    public func candidateModel() throws(DomainInputError) -> LinearModel {
        try LinearModel.train(
            corpus: RoutingCorpus(examples: corpus.examples + corrections.examples), catalog: catalog, lexicon: lexicon, settings: settings)
    }
}
