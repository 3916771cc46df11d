import Dispatch

/// Long synchronous work (reading a whole projection, writing thousands of tile files) run on a
/// thread of Dispatch's own rather than on one of Swift's cooperative threads, of which a 2-core
/// machine has two: while it runs, the tasks that take calls keep both.
public enum BlockingWork {
    /// Runs `work` on a utility-priority Dispatch thread and returns what it returns.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(with: Result { try work() }) }
        }
    }
}
