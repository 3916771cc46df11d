import Foundation

/// A one-line progress bar on standard error, for long runs on a terminal.
final class ProgressBar {
    private let label: String
    private var lastDrawn = Date.distantPast

    init(label: String) {
        self.label = label
    }

    func update(done: UInt64, total: UInt64) {
        let now = Date()
        guard now.timeIntervalSince(lastDrawn) > 0.1 || done == total else { return }
        lastDrawn = now
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
