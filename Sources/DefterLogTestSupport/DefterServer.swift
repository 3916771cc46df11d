public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A `defter serve` child process on a free loopback port, for tests that talk HTTP to the real
/// executable. Its output goes to `output` in the data folder's parent, to read when it fails.
public final class DefterServer {
    /// The running child.
    public let process: Process
    /// Where the service listens: `http://127.0.0.1:<port>`.
    public let baseURL: URL
    /// The file that holds everything the child wrote to standard output and standard error.
    public let output: URL

    /// Starts `defter serve --data data` and waits until `/healthz` answers.
    public init(data: URL, timeout: Duration = .seconds(90)) async throws {
        let port = try freeLoopbackPort()
        baseURL = URL(string: "http://127.0.0.1:\(port)")!
        output = data.deletingLastPathComponent().appendingPathComponent("serve-\(port).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process = Process()
        process.executableURL = defterExecutable()
        process.arguments = ["serve", "--data", data.path, "--port", String(port)]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        try await waitUntilHealthy(timeout: timeout)
    }

    private func waitUntilHealthy(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let health = URLRequest(url: baseURL.appendingPathComponent("healthz"), timeoutInterval: 5)
        // Its own session: a probe must not queue behind other tests' requests on the shared one.
        let session = URLSession(configuration: .ephemeral)
        defer { session.invalidateAndCancel() }
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw ServerError("defter serve exited with \(process.terminationStatus): \(log())") }
            if let (_, response) = try? await session.data(for: health), (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw ServerError("defter serve did not answer /healthz within \(timeout): \(log())")
    }

    /// Asks the child to stop, as a service manager does: SIGTERM.
    public func terminate() {
        kill(process.processIdentifier, SIGTERM)
    }

    /// Waits for the child to exit; kills it and throws when it is still running after `timeout`.
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw ServerError("defter serve was still running \(timeout) after it was asked to stop: \(log())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// What the child has written so far.
    public func log() -> String {
        (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }
}

/// Why a test server could not be used.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that nothing listens on now: the kernel's pick for port 0. Another
/// process could take it before the caller binds it; tests accept that small race.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw ServerError("could not bind a loopback port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
