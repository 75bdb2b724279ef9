import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Usage statistics.", subcommands: [RegisteredUsers.self])

    struct RegisteredUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registered-users",
            abstract: "Registered users per application: users with at least one password-grant token through it.",
            discussion: "The same numbers as sql/analytics/registered_users_per_application.sql.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain")) var tenant: String
        @Option(help: ArgumentHelp("Only the application with this consumer key.", valueName: "key")) var app: String?
        @Option(help: ArgumentHelp("Only users registered on or after this day (UTC).", valueName: "YYYY-MM-DD"))
        var since: String?
        @Option(help: "table, json or csv.") var format = Format.table
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            var sinceDate: Date?
            if let since {
                let parser = DateFormatter()
                parser.locale = Locale(identifier: "en_US_POSIX")
                parser.timeZone = TimeZone(identifier: "UTC")
                parser.dateFormat = "yyyy-MM-dd"
                guard since.count == 10, let date = parser.date(from: since) else {
                    throw CommandFailure("--since must be a day as YYYY-MM-DD")
                }
                sinceDate = date
            }
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, app, start) = (tenant, app, sinceDate)
            let lines = try await database.withClient(logger: logger) { client in
                try await RegisteredUserStatistics(client: client, logger: logger)
                    .perApplication(tenant: tenant, consumerKey: app, since: start)
            }
            let day = { (date: Date?) in date.map { String(Output.date($0).prefix(10)) } ?? "-" }
            switch format {
            case .json:
                try Output.json(lines)
            case .csv:
                print("application,consumer_key,registered_users,active_30_days,first_seen,last_seen")
                for line in lines {
                    let name = "\"" + line.application.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    print(
                        [
                            name, line.consumerKey, String(line.registeredUsers), String(line.activeUsers30Days),
                            line.firstSeen.map(Output.date) ?? "", line.lastSeen.map(Output.date) ?? "",
                        ]
                        .joined(separator: ","))
                }
            case .table:
                Output.table(
                    ["APPLICATION", "CONSUMER KEY", "REGISTERED USERS", "ACTIVE (30 d)", "FIRST SEEN", "LAST SEEN"],
                    lines.map {
                        [
                            $0.application, $0.consumerKey, String($0.registeredUsers), String($0.activeUsers30Days),
                            day($0.firstSeen), day($0.lastSeen),
                        ]
                    })
            }
        }
    }
}
