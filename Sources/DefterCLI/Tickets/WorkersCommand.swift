import ArgumentParser
import DefterProjections
import DefterTickets
import Foundation
import Logging
import ServiceLifecycle

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "Run the projection and deadline workers as services until SIGINT or SIGTERM.",
        discussion: "Projections follow the log live; the deadline worker escalates overdue tickets every --interval seconds.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "Seconds between deadline sweeps.")
    var interval: Int = 60

    func validate() throws {
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
    }

    func run() async throws {
        let context = try ServiceContext.open(dataFolder)
        defer { context.close() }
        var logger = Logger(label: "defter.workers")
        logger.logLevel = .info
        let projections = try openProjections(log: context.log, logger: logger)
        defer { projections.close() }
        let deadlines = DeadlineWorker(service: context.service, queues: projections.queues, interval: .seconds(interval), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: projections), .init(service: deadlines)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info("workers running; stop with Ctrl-C", metadata: ["data": "\(context.log.folder.path)"])
        try await group.run()
    }
}
