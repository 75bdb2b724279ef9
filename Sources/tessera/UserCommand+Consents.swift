import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

extension UserCommand {
    /// `tessera user consents`: what a user allowed applications at the authorization endpoint, and revoking it.
    struct Consents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List the applications a user consented to (authorization code grant), or revoke one consent with its refresh tokens."
        )
        @OptionGroup var user: UserOptions

        @Option(
            help: ArgumentHelp(
                "Revoke the user's consent to this application (its consumer key): it is asked again next time, and its refresh tokens for the user stop working.",
                valueName: "key"))
        var revoke: String?

        @Flag(help: "Print a JSON array.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, username, revoke) = (user.tenant, user.username, revoke)
            if let revoke {
                try await database.withClient(logger: logger) { client in
                    try await UserAdministration(client: client, logger: logger)
                        .revokeConsent(tenant: tenant, username: username, consumerKey: revoke)
                }
                print("revoked \(username)'s consent to \(revoke)")
                return
            }
            let consents = try await database.withClient(logger: logger) { client in
                try await UserAdministration(client: client, logger: logger).consents(
                    tenant: tenant, username: username)
            }
            if json { return try Output.json(consents) }
            Output.table(
                ["CLIENT", "NAME", "SCOPES", "RESOURCES", "GRANTED"],
                consents.map {
                    [
                        $0.clientID, $0.clientName, $0.scopes.joined(separator: " "),
                        $0.resources.joined(separator: " "), Output.date($0.grantedAt),
                    ]
                })
        }
    }
}
