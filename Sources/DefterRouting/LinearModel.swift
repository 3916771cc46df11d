import Crypto
public import DefterDomain
import Foundation

/// A request's features as the linear model reads them: the stems and character 4-grams of
/// `TurkishText.features` (the same folding, stop words and stemming, worked on UTF-8 bytes so
/// that no string is made per n-gram), hashed into a fixed number of buckets, each bucket's
/// count damped to log(1 + count), and the vector scaled to length 1 so that long texts do not
/// shout.
struct HashedFeatures: Sendable {
    /// Bucket indices, ascending and unique.
    var buckets: [Int32]
    /// The value of each bucket.
    var values: [Double]
    /// How many features fell in each bucket.
    var counts: [Double]
    /// How many features the text has.
    var total: Int
    /// The stems of the content words, in text order (for explaining a decision).
    var stems: [String]
    /// All the folded words, in text order (for explaining a decision).
    var words: [String]

    init(_ text: String, buckets bucketCount: Int) {
        var raw: [Int32] = []
        var stems: [String] = []
        var words: [String] = []
        raw.reserveCapacity(text.utf8.count)
        TurkishText.forEachFoldedWord(text) { word in
            words.append(String(decoding: word, as: UTF8.self))
            guard !word.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return }
            // Stop words count too: short function words carry style the regression can weigh.
            let stem = TurkishText.stem(bytes: word)
            stems.append(String(decoding: stem, as: UTF8.self))
            raw.append(Self.bucket(prefix: "w:", stem[...], count: bucketCount))
            // 4-grams of `<word>`, for words of four letters or more (as `characterGrams`).
            guard word.count >= 2 else { return }
            let marked = [UInt8(ascii: "<")] + word + [UInt8(ascii: ">")]
            for start in 0...(marked.count - 4) {
                raw.append(Self.bucket(prefix: "g:", marked[start..<(start + 4)], count: bucketCount))
            }
        }
        raw.sort()
        var buckets: [Int32] = []
        var values: [Double] = []
        var counts: [Double] = []
        var index = 0
        while index < raw.count {
            var next = index + 1
            while next < raw.count && raw[next] == raw[index] { next += 1 }
            buckets.append(raw[index])
            counts.append(Double(next - index))
            values.append(log(1 + Double(next - index)))
            index = next
        }
        self.counts = counts
        self.total = raw.count
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for i in values.indices { values[i] /= norm } }
        self.buckets = buckets
        self.values = values
        self.stems = stems
        self.words = words
    }

    /// FNV-1a (32 bits) of the feature's UTF-8, modulo `count`: stable across runs and machines.
    static func bucket(_ feature: String, count: Int) -> Int32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in feature.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return Int32(hash % UInt32(count))
    }

    /// `bucket(prefix + bytes)` without making the string.
    static func bucket(prefix: StaticString, _ bytes: ArraySlice<UInt8>, count: Int) -> Int32 {
        var hash: UInt32 = 0x811c_9dc5
        prefix.withUTF8Buffer { for byte in $0 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 } }
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return Int32(hash % UInt32(count))
    }
}

/// Multinomial logistic regression over hashed features, added to a naive Bayes model over the
/// same buckets and the curated lexicon's hits (the combination holds up better on text unlike
/// the corpus than either alone), with the temperature that calibrates the probabilities and the
/// confidence threshold for routing without a human. Trained deterministically
/// (`LinearModel.train`), saved as bytes whose SHA-256 names the model.
public struct LinearModel: Sendable {
    /// The labels (category ids), in the order of the weights' columns.
    public let labels: [String]
    /// How many buckets features are hashed into.
    public let bucketCount: Int
    /// Logits are divided by this before the softmax (fitted on out-of-fold predictions).
    public let temperature: Double
    /// The confidence at or above which a request is routed without a human.
    public let threshold: Double
    /// SHA-256 (hex) of the training data: the corpus rows, in order, as `label|category|text` lines.
    public let trainingDataDigest: String
    /// How the model was made, for people: settings and out-of-fold figures.
    public let notes: [String: String]
    /// The curated lexicon the model was trained with.
    public let lexicon: Lexicon
    /// Log-odds one lexicon hit adds to its category.
    public let lexiconWeight: Double
    /// Weight of the logistic regression's logits in the sum (naive Bayes has weight 1).
    public let regressionWeight: Double
    let lexiconMatcher: LexiconMatcher
    /// SHA-256 (hex) of `serialized()`.
    public private(set) var digest: String
    /// Row of the weight matrix for each bucket; -1 for a bucket no training example used.
    private let rowOfBucket: [Int32]
    /// Row-major weights, `labels.count` per row.
    private let weights: [Float]
    private let bias: [Float]
    /// Naive Bayes log-likelihoods, laid out as `weights`, and log-priors.
    private let naiveBayes: [Float]
    private let naiveBayesPrior: [Float]

    /// The bytes' format: the magic, then the version, then little-endian fields.
    static let magic = Array("DEFTERLR".utf8)
    static let formatVersion: UInt32 = 2

    init(
        labels: [String], bucketCount: Int, temperature: Double, threshold: Double, trainingDataDigest: String,
        notes: [String: String], lexicon: Lexicon, lexiconWeight: Double, regressionWeight: Double, parts: Parts
    ) throws(DomainInputError) {
        let width = labels.count
        var rowOfBucket = [Int32](repeating: -1, count: bucketCount)
        var weights: [Float] = []
        var naiveBayes: [Float] = []
        var rows: Int32 = 0
        for bucket in 0..<bucketCount where parts.seen[bucket] {
            rowOfBucket[bucket] = rows
            rows += 1
            weights.append(contentsOf: parts.weights[(bucket * width)..<((bucket + 1) * width)].map { Float($0) })
            naiveBayes.append(contentsOf: parts.naiveBayes[(bucket * width)..<((bucket + 1) * width)].map { Float($0) })
        }
        self.naiveBayes = naiveBayes
        self.naiveBayesPrior = parts.naiveBayesPrior.map { Float($0) }
        self.lexicon = lexicon
        self.lexiconWeight = lexiconWeight
        self.regressionWeight = regressionWeight
        self.lexiconMatcher = try LexiconMatcher(lexicon, labels: labels)
        self.labels = labels
        self.bucketCount = bucketCount
        self.temperature = temperature
        self.threshold = threshold
        self.trainingDataDigest = trainingDataDigest
        self.notes = notes
        self.rowOfBucket = rowOfBucket
        self.weights = weights
        self.bias = parts.bias.map { Float($0) }
        self.digest = ""
        digest = Self.sha256(serialized())
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The parts training produces, dense over all buckets.
    struct Parts {
        var seen: [Bool]
        var weights: [Double]
        var bias: [Double]
        var naiveBayes: [Double]
        var naiveBayesPrior: [Double]
    }

    /// Calibrated logits for `features` (one per label): the regression's logits times
    /// `regressionWeight`, plus naive Bayes' log-posterior (divided by max(1, features / 6), as
    /// naive Bayes is overconfident on long texts) and the lexicon's hits, all over the temperature.
    func logits(_ features: HashedFeatures, lexiconHits: [Int: [String]]) -> [Double] {
        var regression = bias.map { Double($0) }
        var bayes = naiveBayesPrior.map { Double($0) }
        Self.accumulate(features, rowOfBucket: rowOfBucket, weights: weights, naiveBayes: naiveBayes, into: &regression, &bayes)
        return combine(regression: regression, bayes: bayes, featureCount: features.total, lexiconHits: lexiconHits)
    }

    static func accumulate(
        _ features: HashedFeatures, rowOfBucket: [Int32], weights: [Float], naiveBayes: [Float], into regression: inout [Double],
        _ bayes: inout [Double]
    ) {
        let width = regression.count
        weights.withUnsafeBufferPointer { weights in
            naiveBayes.withUnsafeBufferPointer { naiveBayes in
                regression.withUnsafeMutableBufferPointer { regression in
                    bayes.withUnsafeMutableBufferPointer { bayes in
                        for index in features.buckets.indices {
                            let row = rowOfBucket[Int(features.buckets[index])]
                            guard row >= 0 else { continue }
                            let base = Int(row) * width
                            let value = features.values[index]
                            let count = features.counts[index]
                            for label in 0..<width {
                                regression[label] += value * Double(weights[base + label])
                                bayes[label] += count * Double(naiveBayes[base + label])
                            }
                        }
                    }
                }
            }
        }
    }

    func combine(regression: [Double], bayes: [Double], featureCount: Int, lexiconHits: [Int: [String]]) -> [Double] {
        let damping = max(1.0, Double(featureCount) / 6)
        var scores = regression.indices.map { regressionWeight * regression[$0] + bayes[$0] / damping }
        for (label, hits) in lexiconHits { scores[label] += lexiconWeight * Double(hits.count) }
        return scores.map { $0 / temperature }
    }

    /// The weight of `feature` for `label`, or nil when no training example had it.
    func weight(of feature: String, for label: Int) -> Double? {
        let row = rowOfBucket[Int(HashedFeatures.bucket(feature, count: bucketCount))]
        guard row >= 0 else { return nil }
        return Double(weights[Int(row) * labels.count + label])
    }

    // MARK: Bytes

    /// The model as bytes: `DEFTERLR`, format version, a JSON header (labels, settings), the
    /// used buckets, their weights and the biases, all little-endian. Same model, same bytes.
    public func serialized() -> [UInt8] {
        var out = Self.magic
        func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func put(_ value: Float) { put(value.bitPattern) }
        put(Self.formatVersion)
        let header = Header(
            labels: labels, bucketCount: bucketCount, temperature: temperature, threshold: threshold,
            trainingDataDigest: trainingDataDigest, notes: notes, lexicon: lexicon, lexiconWeight: lexiconWeight,
            regressionWeight: regressionWeight)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array((try? encoder.encode(header)) ?? Data())
        put(UInt32(json.count))
        out.append(contentsOf: json)
        let used = rowOfBucket.enumerated().filter { $0.element >= 0 }
        put(UInt32(used.count))
        for (bucket, _) in used { put(UInt32(bucket)) }
        for value in weights { put(value) }
        for value in bias { put(value) }
        for value in naiveBayes { put(value) }
        for value in naiveBayesPrior { put(value) }
        return out
    }

    /// Reads bytes written by `serialized()`; throws saying what is wrong with them.
    public init(bytes: [UInt8]) throws(DomainInputError) {
        var offset = 0
        func fail(_ reason: String) -> DomainInputError { DomainInputError(field: "router model", reason: reason) }
        func take(_ count: Int) throws(DomainInputError) -> ArraySlice<UInt8> {
            guard count >= 0, offset + count <= bytes.count else { throw fail("is cut short at byte \(offset)") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        func u32() throws(DomainInputError) -> UInt32 {
            let slice = try take(4)
            return slice.reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        guard Array(try take(Self.magic.count)) == Self.magic else { throw fail("is not a Defter router model (no DEFTERLR magic)") }
        let format = try u32()
        guard format == Self.formatVersion else { throw fail("has format \(format); this build reads \(Self.formatVersion)") }
        let headerBytes = try take(Int(try u32()))
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)) else { throw fail("has an unreadable header") }
        guard header.bucketCount > 0, !header.labels.isEmpty, header.temperature > 0 else { throw fail("has an invalid header") }
        let rows = Int(try u32())
        var rowOfBucket = [Int32](repeating: -1, count: header.bucketCount)
        for row in 0..<rows {
            let bucket = Int(try u32())
            guard bucket < header.bucketCount else { throw fail("names bucket \(bucket) of \(header.bucketCount)") }
            rowOfBucket[bucket] = Int32(row)
        }
        var weights: [Float] = []
        weights.reserveCapacity(rows * header.labels.count)
        for _ in 0..<(rows * header.labels.count) { weights.append(Float(bitPattern: try u32())) }
        var bias: [Float] = []
        for _ in header.labels { bias.append(Float(bitPattern: try u32())) }
        var naiveBayes: [Float] = []
        naiveBayes.reserveCapacity(rows * header.labels.count)
        for _ in 0..<(rows * header.labels.count) { naiveBayes.append(Float(bitPattern: try u32())) }
        var naiveBayesPrior: [Float] = []
        for _ in header.labels { naiveBayesPrior.append(Float(bitPattern: try u32())) }
        guard offset == bytes.count else { throw fail("has \(bytes.count - offset) bytes after its end") }
        labels = header.labels
        bucketCount = header.bucketCount
        temperature = header.temperature
        threshold = header.threshold
        trainingDataDigest = header.trainingDataDigest
        notes = header.notes
        self.rowOfBucket = rowOfBucket
        self.weights = weights
        self.bias = bias
        self.naiveBayes = naiveBayes
        self.naiveBayesPrior = naiveBayesPrior
        lexicon = header.lexicon
        lexiconWeight = header.lexiconWeight
        regressionWeight = header.regressionWeight
        lexiconMatcher = try LexiconMatcher(header.lexicon, labels: header.labels)
        digest = Self.sha256(bytes)
    }

    private struct Header: Codable {
        var labels: [String]
        var bucketCount: Int
        var temperature: Double
        var threshold: Double
        var trainingDataDigest: String
        var notes: [String: String]
        var lexicon: Lexicon
        var lexiconWeight: Double
        var regressionWeight: Double
    }
}
