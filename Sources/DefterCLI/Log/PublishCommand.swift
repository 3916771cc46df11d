import ArgumentParser
import DefterLog
import Foundation

/// `defter log publish --to DIR`: the log as static C2SP tiles that any web server can serve.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Write the log into a folder as C2SP tlog-tiles: checkpoint, hash tiles and entry bundles.",
        discussion: """
            Publishes as of the newest signed checkpoint, signing a new one first when the log has \
            grown past it. Only what is new since the folder's last publication is written; every \
            file is written whole (temporary name, fsync, rename) and the checkpoint last. Serve \
            the folder with any static web server (see docs/operations.md); readers check it with \
            tools/verify_tiles.py.
            """
    )

    @OptionGroup var dataFolder: DataFolderOptions

    @Option(help: "The folder to publish into (created when missing).")
    var to: String

    @Flag(help: "Print one JSON object instead of a line.")
    var json = false

    func run() async throws {
        let log = try dataFolder.open()
        defer { log.close() }
        let started = ContinuousClock.now
        let size = try log.size()
        guard size > 0 else { throw CLIFailure("the log is empty: there is nothing to publish", exitCode: CLIFailure.badInput) }
        var checkpoint = try log.newestCheckpoint()
        if checkpoint?.checkpoint.treeSize != size { checkpoint = try await log.checkpoint() }
        let report: TilePublisher.Report
        do {
            report = try TilePublisher.publish(log, at: checkpoint!, to: URL(fileURLWithPath: to))
        } catch let error as TileError {
            throw CLIFailure("cannot publish: \(error)", exitCode: CLIFailure.problemFound)
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        if json {
            Terminal.json([
                "folder": .string(to), "fromSize": .integer(Int64(report.fromSize)), "treeSize": .integer(Int64(report.toSize)),
                "files": .integer(Int64(report.files)), "bytes": .integer(Int64(report.bytes)), "seconds": .number(seconds),
            ])
        } else {
            print(
                "published \(to) at tree size \(report.toSize) (was \(report.fromSize)): \(report.files) files, "
                    + "\(report.bytes) bytes, \(String(format: "%.2f", seconds)) s")
        }
    }
}
