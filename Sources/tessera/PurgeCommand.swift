import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Drop expired tokens now, and prepare the partitions of the coming days.",
        discussion: """
            Expired tokens live in partitions by expiry day; purge drops whole partitions whose day has passed, \
            so it takes about the same short time however many tokens expired. `tessera serve` runs it by itself \
            (--purge-interval).
            """
    )

    @Flag(help: "Print what was done as one JSON object.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = CommandLogging.logger(level: .warning)
        let clock = ContinuousClock()
        let start = clock.now
        let report = try await database.withClient(logger: logger) { client in
            try await TokenPartitions(client: client, logger: logger).purge()
        }
        let elapsed = clock.now - start
        if json {
            try Output.json(report)
        } else {
            print(
                "dropped \(report.droppedPartitions.count) partitions"
                    + (report.droppedPartitions.isEmpty ? "" : " (\(report.droppedPartitions.joined(separator: ", ")))")
                    + " in \(Int(report.droppingSeconds * 1000)) ms"
                    + ", deleted \(report.deletedFamilies) refresh families, \(report.expiredSecrets) expired previous secrets, \(report.expiredAssertions) used client assertion ids, \(report.expiredRegistrationTokens) expired registration tokens, \(report.expiredSessions) expired sign-in sessions and \(report.expiredCodes) expired authorization codes"
                    + ", prepared \(report.createdPartitions) partitions"
                    + "; \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))) in all")
        }
    }
}
