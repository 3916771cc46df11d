import Foundation

/// Reads a file descriptor line by line as raw bytes, so that invalid UTF-8 can be reported
/// instead of silently replaced.
struct LineReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var exhausted = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The next line without its terminating newline (and a trailing CR), or nil at end of input.
    mutating func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0a) {
                var line = Array(buffer[start..<newline])
                start = newline + 1
                if line.last == 0x0d { line.removeLast() }
                return line
            }
            if exhausted {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CLIFailure("cannot read standard input: \(String(cString: strerror(errno)))", exitCode: CLIFailure.badInput)
            }
            if count == 0 {
                exhausted = true
            } else {
                buffer.append(contentsOf: chunk[0..<count])
            }
        }
    }
}
