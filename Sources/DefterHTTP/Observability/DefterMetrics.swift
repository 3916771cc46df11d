import DefterProjections
import Foundation
import Metrics
import Prometheus

/// The service's metrics, kept in a Prometheus registry through swift-metrics and served by
/// `GET /metrics` in the Prometheus text format: requests by route and status, log appends and
/// group-commit sizes, and each projection's lag. One instance per process (`defter serve`);
/// tests make their own, so nothing global is bootstrapped.
public final class DefterMetrics: Sendable {
    /// The registry that `GET /metrics` renders.
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    static let requests = "defter_http_requests_total"
    static let requestDuration = "defter_http_request_duration_seconds"
    static let appendedEvents = "defter_log_appended_events_total"
    static let groupCommits = "defter_log_group_commits_total"
    static let groupCommitEvents = "defter_log_group_commit_events"
    static let projectionLag = "defter_projection_lag_entries"
    static let intakePending = "defter_intake_pending"
    static let intakeRefused = "defter_intake_refused_total"

    /// Creates an empty registry.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[Self.groupCommitEvents] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 8192]
        factory.durationHistogramBuckets[Self.requestDuration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
    }

    /// Counts a request and records how long it took, by method, route template and status.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: Self.requests, dimensions: dimensions, factory: factory).increment()
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        Metrics.Timer(label: Self.requestDuration, dimensions: dimensions, factory: factory).recordNanoseconds(nanoseconds)
    }

    /// For `LogConfiguration.groupCommitObserver`: counts appended events and group commits and
    /// records how many events each commit wrote.
    public var groupCommitObserver: @Sendable (_ events: Int, _ batches: Int) -> Void {
        let factory = self.factory
        return { events, _ in
            Counter(label: DefterMetrics.appendedEvents, factory: factory).increment(by: events)
            Counter(label: DefterMetrics.groupCommits, factory: factory).increment()
            Recorder(label: DefterMetrics.groupCommitEvents, aggregate: true, factory: factory).record(events)
        }
    }

    /// Sets how many calls are being recorded now.
    func recordIntakePending(_ count: Int) {
        Gauge(label: Self.intakePending, factory: factory).record(Double(count))
    }

    /// Counts a call refused because intake was full.
    func intakeRefused() {
        Counter(label: Self.intakeRefused, factory: factory).increment()
    }

    /// Sets each projection's lag (log head minus checkpoint) as it is now.
    func recordLag(of projections: Projections) throws {
        for worker in projections.all {
            Gauge(label: Self.projectionLag, dimensions: [("projection", worker.projection.name)], factory: factory)
                .record(Double(try worker.lag()))
        }
    }

    /// The registry in the Prometheus text format.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
