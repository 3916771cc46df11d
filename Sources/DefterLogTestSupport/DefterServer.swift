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

    /// Polls `/healthz` from a thread of its own, with blocking calls: the test process's
    /// cooperative pool may be held for minutes by other suites' CPU-heavy tests (training a
    /// router in a debug build), and a probe waiting for a turn there would time out while the
    /// server was long ready.
    private func waitUntilHealthy(timeout: Duration) async throws {
        let port = UInt16(baseURL.port ?? 0)
        let process = self.process
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let healthy: Bool = await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(seconds)
                while Date() < deadline, process.isRunning {
                    if healthzAnswers200(port: port) {
                        continuation.resume(returning: true)
                        return
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                continuation.resume(returning: false)
            }.start()
        }
        if healthy { return }
        guard process.isRunning else { throw ServerError("defter serve exited with \(process.terminationStatus): \(log())") }
        process.terminate()
        throw ServerError("defter serve did not answer /healthz within \(timeout): \(log())")
    }

    /// Asks the child to stop, as a service manager does: SIGTERM.
    public func terminate() {
        kill(process.processIdentifier, SIGTERM)
    }

    /// Waits for the child to exit; kills it and throws when it is still running after `timeout`.
    /// The clock runs on a thread of its own, for the reason `waitUntilHealthy` gives.
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        let process = self.process
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let exited: Bool = await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(seconds)
                while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                continuation.resume(returning: !process.isRunning)
            }.start()
        }
        guard exited else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ServerError("defter serve was still running \(timeout) after it was asked to stop: \(log())")
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

/// Whether `GET /healthz` on 127.0.0.1:`port` answers 200, asked with blocking socket calls
/// (at most about 2 seconds).
func healthzAnswers200(port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var limit = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { return false }
    let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return false }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    guard count > 12 else { return false }
    return String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200")
}
