import ArgumentParser
import DefterDomain
import DefterHTTP
import DefterProjections
import DefterTickets
import Foundation
import Hummingbird
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service with the projection and deadline workers until SIGINT or SIGTERM.",
        discussion: "Stops taking requests, lets in-flight appends finish, stops the workers, then closes LMDB.")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 8153

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
    }

    func run() async throws {
        let metrics = DefterMetrics()
        let context = try ServiceContext.open(dataFolder, create: true, groupCommitObserver: metrics.groupCommitObserver)
        defer { context.close() }
        var logger = Logger(label: "defter")
        logger.logLevel = .info
        let projections = try openProjections(log: context.log, logger: logger)
        defer { projections.close() }
        let tokens = try TokenStore(folder: context.log.folder.appendingPathComponent("tokens"))
        defer { tokens.close() }
        let catalog = try await context.service.catalogInForce()
        let api = DefterAPI(
            service: context.service, projections: projections, log: context.log, tokens: tokens, catalog: catalog, logger: logger,
            metrics: metrics)
        let app = Application(
            router: api.router(), configuration: .init(address: .hostname(host, port: port), serverName: "defter"),
            services: [projections, DeadlineWorker(service: context.service, queues: projections.queues, logger: logger)], logger: logger)
        try await app.runService()
    }
}

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Bearer tokens for the HTTP service.", subcommands: [IssueTokenCommand.self])
}

struct IssueTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Issue a token for a role and print it once (only its hash is kept).")

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "operator, department:<id>, auditor, officer, admin or open311.")
    var role: String

    @Option(help: "Who or what the token is for.")
    var name: String = "unnamed"

    func run() async throws {
        let parsed: Role
        do { parsed = try Role(role) } catch { throw CLIFailure(error.description, exitCode: CLIFailure.badInput) }
        let log = try dataFolder.open(create: true)
        defer { log.close() }
        let tokens = try TokenStore(folder: log.folder.appendingPathComponent("tokens"))
        defer { tokens.close() }
        Terminal.line(try tokens.issue(role: parsed, name: name))
    }
}
