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
            guard !TurkishText.stopWordBytes.contains(word) else { return }
            let stem = TurkishText.stem(bytes: word)
            stems.append(String(decoding: stem, as: UTF8.self))
            raw.append(Self.bucket(prefix: "w:", stem[...], count: bucketCount))
            // 4-grams of `<word>`, for words of four letters or more (as `characterGrams`).
            guard word.count >= 4 else { return }
            let marked = [UInt8(ascii: "<")] + word + [UInt8(ascii: ">")]
            for start in 0...(marked.count - 4) {
                raw.append(Self.bucket(prefix: "g:", marked[start..<(start + 4)], count: bucketCount))
            }
        }
        raw.sort()
        var buckets: [Int32] = []
        var values: [Double] = []
        var index = 0
        while index < raw.count {
            var next = index + 1
            while next < raw.count && raw[next] == raw[index] { next += 1 }
            buckets.append(raw[index])
            values.append(log(1 + Double(next - index)))
            index = next
        }
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

/// Multinomial logistic regression over hashed features, with the temperature that calibrates
/// its probabilities and the confidence threshold for routing without a human. Trained
/// deterministically (`LinearModel.train`), saved as bytes whose SHA-256 names the model.
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
    /// SHA-256 (hex) of `serialized()`.
    public private(set) var digest: String
    /// Row of the weight matrix for each bucket; -1 for a bucket no training example used.
    private let rowOfBucket: [Int32]
    /// Row-major weights, `labels.count` per row.
    private let weights: [Float]
    private let bias: [Float]

    /// The bytes' format: the magic, then the version, then little-endian fields.
    static let magic = Array("DEFTERLR".utf8)
    static let formatVersion: UInt32 = 1

    init(
        labels: [String], bucketCount: Int, temperature: Double, threshold: Double, trainingDataDigest: String,
        notes: [String: String], denseWeights: [Double], bias: [Double]
    ) {
        let width = labels.count
        var rowOfBucket = [Int32](repeating: -1, count: bucketCount)
        var weights: [Float] = []
        var rows: Int32 = 0
        for bucket in 0..<bucketCount {
            let row = denseWeights[(bucket * width)..<((bucket + 1) * width)]
            guard row.contains(where: { $0 != 0 }) else { continue }
            rowOfBucket[bucket] = rows
            rows += 1
            weights.append(contentsOf: row.map { Float($0) })
        }
        self.labels = labels
        self.bucketCount = bucketCount
        self.temperature = temperature
        self.threshold = threshold
        self.trainingDataDigest = trainingDataDigest
        self.notes = notes
        self.rowOfBucket = rowOfBucket
        self.weights = weights
        self.bias = bias.map { Float($0) }
        self.digest = ""
        digest = Self.sha256(serialized())
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Temperature-scaled log-probabilities' logits for `features` (one per label).
    func logits(_ features: HashedFeatures) -> [Double] {
        let width = labels.count
        var scores = bias.map { Double($0) }
        weights.withUnsafeBufferPointer { weights in
            for (bucket, value) in zip(features.buckets, features.values) {
                let row = rowOfBucket[Int(bucket)]
                guard row >= 0 else { continue }
                let base = Int(row) * width
                for label in 0..<width { scores[label] += value * Double(weights[base + label]) }
            }
        }
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
            trainingDataDigest: trainingDataDigest, notes: notes)
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
        digest = Self.sha256(bytes)
    }

    private struct Header: Codable {
        var labels: [String]
        var bucketCount: Int
        var temperature: Double
        var threshold: Double
        var trainingDataDigest: String
        var notes: [String: String]
    }
}
