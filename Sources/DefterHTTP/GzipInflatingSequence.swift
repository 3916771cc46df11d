import CZlib
import Hummingbird
import NIOCore

/// A gzip request body (`Content-Encoding: gzip`), inflated as it streams in: each piece of the
/// body becomes the bytes it inflates to. A body that is not gzip, or that stops inside its gzip
/// stream, ends the sequence with an error saying so.
struct GzipInflatingSequence: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let body: RequestBody

    init(_ body: RequestBody) { self.body = body }

    /// Why a body could not be inflated.
    struct GzipError: Error, CustomStringConvertible {
        let description: String
    }

    func makeAsyncIterator() -> Iterator { Iterator(pieces: body.makeAsyncIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        var pieces: RequestBody.AsyncIterator
        let inflater = Inflater()

        mutating func next() async throws -> [UInt8]? {
            while let piece = try await pieces.next() {
                let bytes = try inflater.inflate(Array(piece.readableBytesView))
                if !bytes.isEmpty { return bytes }
            }
            guard inflater.ended else { throw GzipError(description: "the gzip body ends inside its compressed stream") }
            return nil
        }
    }

    /// One zlib inflate stream, freed with its owner.
    final class Inflater {
        private var stream = z_stream()
        private var ready = false
        private(set) var ended = false

        init() { ready = defter_inflate_init_gzip(&stream) == Z_OK }
        deinit { if ready { inflateEnd(&stream) } }

        /// The bytes `input` inflates to. Bytes after the end of the gzip stream are refused.
        func inflate(_ input: [UInt8]) throws -> [UInt8] {
            guard ready else { throw GzipError(description: "zlib could not start inflating") }
            guard !input.isEmpty else { return [] }
            guard !ended else { throw GzipError(description: "the body goes on after its gzip stream ended") }
            var output: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            var input = input
            try input.withUnsafeMutableBufferPointer { inputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                repeat {
                    let (status, produced) = chunk.withUnsafeMutableBufferPointer { outputBuffer in
                        stream.next_out = outputBuffer.baseAddress
                        stream.avail_out = uInt(outputBuffer.count)
                        let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        return (status, outputBuffer.count - Int(stream.avail_out))
                    }
                    output.append(contentsOf: chunk[..<produced])
                    switch status {
                    case Z_STREAM_END:
                        ended = true
                        guard stream.avail_in == 0 else { throw GzipError(description: "the body goes on after its gzip stream ended") }
                        return
                    case Z_OK, Z_BUF_ERROR: break
                    default: throw GzipError(description: "the body is not valid gzip (zlib says \(status))")
                    }
                } while stream.avail_in > 0 || stream.avail_out == 0
            }
            stream.next_in = nil
            return output
        }
    }
}
