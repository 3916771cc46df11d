public import DefterDomain
import DefterLog
public import DefterTickets
public import Foundation
public import Logging
import ServiceLifecycle

/// Appends `SLAEscalated` when an open ticket passes its service-standard deadline, once per
/// ticket and deadline: it reads overdue tickets from the queue projection and sends the domain's
/// `escalate` command with a command id made of the ticket and the deadline, so a retry or a
/// second worker cannot escalate twice.
public final class DeadlineWorker: Sendable {
    let service: TicketService
    let queues: ProjectionWorker
    let now: @Sendable () -> Date
    let interval: Duration
    /// Where `run` reports a sweep it could not make.
    let logger: Logger

    /// Creates a worker that sweeps every `interval`, reading the time from `now`; `run` reports
    /// to `logger` a sweep it could not make.
    public init(
        service: TicketService, queues: ProjectionWorker, now: @escaping @Sendable () -> Date = { Date() },
        interval: Duration = .seconds(60), logger: Logger = Logger(label: "defter.deadlines")
    ) {
        self.service = service
        self.queues = queues
        self.now = now
        self.interval = interval
        self.logger = logger
    }

    /// Escalates every ticket overdue at `now()`; returns the tickets escalated.
    @discardableResult
    public func sweep() async throws -> [TicketID] {
        try queues.catchUp()
        let moment = now()
        var escalated: [TicketID] = []
        for item in try queues.overdueItems(at: moment) where !item.escalated {
            guard let dueAt = item.dueAt else { continue }
            let commandID = "sla:\(item.ticket):\(Int64((dueAt.timeIntervalSince1970 * 1000).rounded()))"
            do {
                try await service.handle(.escalate(at: moment), on: item.ticket, commandId: commandID, actor: .system)
                escalated.append(item.ticket)
            } catch let error as TicketError {
                // The ticket moved on since the projection saw it (resolved, escalated): nothing to do.
                _ = error
            }
        }
        return escalated
    }

    /// Sweeps, then sleeps `interval`, until cancelled or shut down gracefully.
    ///
    /// A sweep that cannot be made (the queues projection stopped at an entry it cannot apply,
    /// or the disk is full) is logged, once for as long as the cause lasts, and tried again
    /// after the next interval: it never stops the service.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var failing: String?
                while !Task.isCancelled {
                    do {
                        try await self.sweep()
                        if failing != nil { self.logger.notice("deadline sweeps work again") }
                        failing = nil
                    } catch let error where error is ProjectionError || (error as? StorageError)?.kind == .diskFull {
                        if failing != "\(error)" {
                            self.logger.error(
                                "cannot sweep for overdue tickets; trying again every interval",
                                metadata: ["error": "\(error)", "interval": "\(self.interval)"])
                        }
                        failing = "\(error)"
                    }
                    try await Task.sleep(for: self.interval)
                }
            }
        } catch is CancellationError {
            // Shut down (or cancelled) while sleeping: a normal end.
        }
    }
}

extension ProjectionWorker {
    /// Every queued ticket whose deadline is before `moment`, from a `queues` projection.
    public func overdueItems(at moment: Date) throws -> [QueueItem] {
        try store.read { reader in
            var items: [QueueItem] = []
            try reader.scan("queue") { _, value in
                guard let parts = QueueProjection.split(value) else { return true }
                let item = try QueueItem(binary: parts.item)
                if item.isOverdue(at: moment) { items.append(item) }
                return true
            }
            return items
        }
    }
}
