import HTTPTypes
import Hummingbird
import Synchronization

/// Backpressure for intake: at most `limit` calls are being recorded at once. Past that the
/// service answers 503 with `Retry-After` at once, instead of queueing without bound until every
/// caller times out. `defter_intake_pending` shows how many are in flight.
public final class IntakeGate: Sendable {
    /// The most calls in flight at once.
    public let limit: Int
    private let pending = Atomic<Int>(0)

    /// A gate letting `limit` calls through at once (at least one).
    public init(limit: Int) { self.limit = max(1, limit) }

    /// How many calls are in flight now.
    public var inFlight: Int { pending.load(ordering: .relaxed) }

    /// Takes a place, or returns false when all `limit` are taken.
    func enter() -> Bool {
        let now = pending.add(1, ordering: .acquiringAndReleasing).newValue
        if now > limit {
            pending.subtract(1, ordering: .acquiringAndReleasing)
            return false
        }
        return true
    }

    /// Gives a place back.
    func leave() { pending.subtract(1, ordering: .acquiringAndReleasing) }
}

/// Refused because intake is full: a client should wait `retryAfter` seconds and send the same
/// request again (with the same call id or `Idempotency-Key`, so nothing is recorded twice).
struct IntakeFull: Error, Sendable {
    let pending: Int
    static let retryAfterSeconds = 1
}

extension DefterAPI {
    /// Records a call through the gate: 503 with `Retry-After` when too many are in flight.
    func intake<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard intakeGate.enter() else {
            metrics.intakeRefused()
            throw IntakeFull(pending: intakeGate.limit)
        }
        metrics.recordIntakePending(intakeGate.inFlight)
        defer {
            intakeGate.leave()
            metrics.recordIntakePending(intakeGate.inFlight)
        }
        return try await body()
    }

    /// The 503 a full intake answers, with `Retry-After`.
    static func intakeFullError(_ error: IntakeFull) -> APIError {
        APIError(
            status: .serviceUnavailable, code: "busy",
            message:
                "Şu anda çok yoğunuz; \(IntakeFull.retryAfterSeconds) saniye sonra aynı isteği yeniden gönderin (aynı callId ile, çift kayıt olmaz). / "
                + "Intake is full (\(error.pending) calls being recorded); send the same request again in "
                + "\(IntakeFull.retryAfterSeconds) s, with the same callId or Idempotency-Key so it is recorded once.")
    }
}
