public import Foundation

/// The result of running the `defter` executable.
public struct ProcessOutput: Sendable {
    /// The exit status.
    public let status: Int32
    /// Everything written to standard output.
    public let stdout: String
    /// Everything written to standard error.
    public let stderr: String
}

/// The built `defter` executable: `$DEFTER_BINARY`, else beside the test bundle.
public func defterExecutable() -> URL {
    if let override = ProcessInfo.processInfo.environment["DEFTER_BINARY"], !override.isEmpty {
        return URL(fileURLWithPath: override)
    }
    var candidates: [URL] = []
    let argument0 = URL(fileURLWithPath: CommandLine.arguments[0])
    candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("defter"))
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("defter"))
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("defter"))
    for directory in [argument0] {
        // Inside a .xctest bundle on some platforms: walk up until a folder holds `defter`.
        var folder = directory.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(folder.appendingPathComponent("defter"))
            folder = folder.deletingLastPathComponent()
        }
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
}

/// Runs `defter` with `arguments`, feeding `input` on standard input, and waits for it.
public func runDefter(_ arguments: [String], input: Data = Data(), environment: [String: String] = [:]) throws -> ProcessOutput {
    ignoreBrokenPipes()
    let process = Process()
    process.executableURL = defterExecutable()
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let writer = Thread {
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let errData = ThreadedReader(stderr.fileHandleForReading)
    let outData = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData.wait(), as: UTF8.self))
}

/// Drains a pipe on its own thread so that a chatty child cannot block on a full pipe.
final class ThreadedReader: @unchecked Sendable {
    // Safe: `data` is written by the reader thread before `done` is signalled and read after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
        thread.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// Makes writes to a pipe whose reader died fail with EPIPE instead of killing the test process.
public func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
}
