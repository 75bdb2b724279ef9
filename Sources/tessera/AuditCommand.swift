import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show a tenant's administrative changes: who made which change to what, and whether it was refused.",
        discussion: """
            Every change made with this command line (actor "cli") is recorded in the same transaction as the change; \
            a refused change is recorded with its reason. Secrets and passwords never appear: targets are domains, \
            consumer keys, usernames and key ids. Oldest first; the latest --limit events.
            """)

    @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
    var tenant: String

    @Option(
        help: ArgumentHelp(
            "Only events since then: a time ago (90m, 24h, 7d) or a UTC date or time (2026-12-01, 2026-12-01T08:00:00Z).",
            valueName: "when"))
    var since: AuditSince?

    @Option(help: ArgumentHelp("At most this many events, the latest (1 to 10000).", valueName: "count"))
    var limit = 100

    @Flag(help: "Print a JSON array.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() async throws {
        let logger = CommandLogging.logger(level: .warning)
        let (tenant, start, limit) = (tenant, since?.date(now: Date()), limit)
        let events = try await database.withClient(logger: logger) { client in
            let administration = DirectoryAdministration(client: client, logger: logger)
            let tenantID = try await administration.tenantID(tenant)
            return try await AuditTrail(actor: "cli", client: client, logger: logger).events(
                tenantID: tenantID, domain: tenant.lowercased(), since: start, limit: limit)
        }
        if json {
            try Output.json(events)
        } else {
            Output.table(
                ["AT", "ACTOR", "OPERATION", "TARGET", "OUTCOME"],
                events.map { [Output.date($0.at), $0.actor, $0.operation, $0.target, $0.outcome] })
        }
    }
}

/// `--since`: a time ago (`90m`, `24h`, `7d`) or a UTC day or time.
struct AuditSince: ExpressibleByArgument {
    private enum Value {
        case ago(TimeInterval)
        case at(Date)
    }

    private let value: Value
    private static let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]

    init?(argument: String) {
        guard argument.count <= 40 else { return nil }
        // At most a century ago: further back PostgreSQL's timestamps and PostgresNIO's microseconds overflow.
        if let unit = argument.last.flatMap({ Self.units[$0] }), let count = Int(argument.dropLast()), count >= 0,
            TimeInterval(count) * unit <= 36_500 * 86_400
        {
            value = .ago(TimeInterval(count) * unit)
        } else if let date = ISO8601DateFormatter().date(from: argument) {
            value = .at(date)
        } else if argument.count == 10,
            let date = ISO8601DateFormatter().date(from: argument + "T00:00:00Z")
        {
            value = .at(date)
        } else {
            return nil
        }
    }

    func date(now: Date) -> Date {
        switch value {
        case .ago(let interval): now.addingTimeInterval(-interval)
        case .at(let date): date
        }
    }
}
