import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

extension TenantCommand {
    /// `tessera tenant client-documents D [--accept | --refuse] [--scopes S]`: whether clients known by a Client ID
    /// Metadata Document (their client_id is the document's https URL, as MCP clients use it) may sign users in.
    struct ClientDocuments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "client-documents",
            abstract: "Show or change whether a tenant accepts clients known by a Client ID Metadata Document.",
            discussion: """
                Accepted by default: such a client (an MCP client whose client_id is the https URL of its metadata \
                document) gets nothing without a signed-in user's consent, and the consent page shows it as \
                unverified. It may ask for the scopes given here (none until set) and for any resource the tenant \
                declared (tessera resource add).
                """)

        @Argument(help: "The tenant's domain.")
        var domain: String

        @Flag(help: "Accept such clients.")
        var accept = false

        @Flag(help: "Refuse such clients; those seen before can no longer get tokens.")
        var refuse = false

        @Option(help: "The scopes such a client may ask a user for, space-separated (\"\" for none).")
        var scopes: String?

        @Flag(help: "Print the setting as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if accept && refuse { throw ValidationError("--accept and --refuse cannot be given together") }
        }

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (domain, scopes) = (domain, scopes)
            let accepted: Bool? = accept ? true : refuse ? false : nil
            let settings = try await database.withClient(logger: logger) { client in
                let administration = DirectoryAdministration(client: client, logger: logger)
                if accepted == nil && scopes == nil { return try await administration.clientDocuments(tenant: domain) }
                return try await administration.setClientDocuments(tenant: domain, accepted: accepted, scopes: scopes)
            }
            if json { return try Output.json(settings) }
            let scopeText = settings.scopes.isEmpty ? "no scope" : "scopes \(settings.scopes.joined(separator: " "))"
            print(
                settings.accepted
                    ? "\(domain.lowercased()) accepts clients known by a metadata document, for \(scopeText)"
                    : "\(domain.lowercased()) refuses clients known by a metadata document")
        }
    }
}
