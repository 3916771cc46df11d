public import ServiceLifecycle

/// The projections follow the log as one long-running service: on graceful shutdown they stop
/// between batches (a batch is one transaction, so nothing is half-applied).
extension Projections: Service {}

/// The deadline worker as a long-running service, stopping at graceful shutdown.
extension DeadlineWorker: Service {}
