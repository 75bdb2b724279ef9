import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

extension AppCommand {
    /// `tessera app set-redirect-uris`: where the authorization endpoint may send the application's browser back.
    struct SetRedirectURIs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-redirect-uris",
            abstract: "Set where the authorization endpoint may send an application's browser back.",
            discussion: """
                The list replaces the current one: https, or http on 127.0.0.1/[::1] (any port at request time), no \
                fragment, credentials or wildcard, at most 20. An application allowed the authorization code grant \
                keeps at least one. Every server follows within a second; codes already issued keep theirs.
                """)

        @OptionGroup var application: ApplicationOptions

        @Option(help: ArgumentHelp("Comma-separated redirect URIs (\"\" for none).", valueName: "uris"))
        var redirectUris: String

        @Flag(help: "Print the application as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key) = (application.tenant, application.consumerKey)
            let uris = redirectUris.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let record = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger)
                    .setRedirectURIs(tenant: tenant, consumerKey: key, uris: uris)
            }
            if json { return try Output.json(record) }
            let listed = record.redirectURIs.isEmpty ? "none" : record.redirectURIs.joined(separator: ", ")
            print("\(record.consumerKey) redirects to \(listed)")
        }
    }
}
