import Foundation
import Synchronization

/// Tells waiting readers that entries up to some sequence have been committed.
final class CommitNotifier: Sendable {
    private struct State {
        var head: UInt64
        var closed = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>

    init(head: UInt64) {
        state = Mutex(State(head: head))
    }

    /// The newest committed sequence.
    var head: UInt64 { state.withLock { $0.head } }

    /// Records a commit and wakes every waiter.
    func publish(head: UInt64) {
        let waiters = state.withLock { state in
            state.head = max(state.head, head)
            let waiting = state.waiters
            state.waiters = [:]
            return waiting
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Wakes every waiter for good: the log is closing.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            let waiting = state.waiters
            state.waiters = [:]
            return waiting
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Suspends until the head passes `sequence`; returns false when the log closed first.
    /// Returns early (true) when the task is cancelled; the caller checks cancellation.
    func wait(beyond sequence: UInt64) async -> Bool {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.head > sequence || state.closed || state.cancelled.remove(id) != nil {
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return Optional(waiter) }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
        return state.withLock { state in
            state.cancelled.remove(id)
            return !state.closed || state.head > sequence
        }
    }
}

/// The log from a sequence onwards, then every entry as it commits: an endless async sequence
/// that ends only when the log closes or the task is cancelled. A late subscriber loses nothing:
/// it reads what it missed from storage before it waits.
public struct LiveTail: AsyncSequence, Sendable {
    public typealias Element = LogEntry
    let log: EventLog
    let start: UInt64
    let batchSize: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, next: Swift.max(start, 1), batchSize: batchSize)
    }

    /// Reads committed entries in batches and waits for commits when it has caught up.
    public struct Iterator: AsyncIteratorProtocol {
        let log: EventLog
        var next: UInt64
        let batchSize: Int
        var buffer: [LogEntry] = []
        var index = 0

        init(log: EventLog, next: UInt64, batchSize: Int) {
            self.log = log
            self.next = next
            self.batchSize = batchSize
        }

        public mutating func next() async throws -> LogEntry? {
            while true {
                if index < buffer.count {
                    index += 1
                    return buffer[index - 1]
                }
                try Task.checkCancellation()
                buffer = try log.entries(from: next, limit: batchSize)
                index = 0
                if let last = buffer.last {
                    next = last.sequence + 1
                    continue
                }
                guard await log.notifier.wait(beyond: next - 1) else { return nil }
            }
        }
    }
}
