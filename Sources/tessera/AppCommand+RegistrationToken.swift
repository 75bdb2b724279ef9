import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

extension AppCommand {
    /// `app registration-token`: an initial access token for dynamic client registration (RFC 7591).
    struct RegistrationToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registration-token",
            abstract:
                "Make, list or revoke initial access tokens with which clients register themselves at /t/<tenant>/register.",
            discussion: """
                A client sends one as a bearer token with its metadata (RFC 7591) and gets a consumer key, a secret \
                and a registration access token, which reads, updates or deletes its registration at the \
                registration_client_uri it is given (RFC 7592). A token is shown only when made; only its hash is \
                kept, and lists and revocations name it by its id. Revoking a token stops registrations with it; the \
                clients registered stay.
                """)

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(help: "How many clients may register with it, 1 to 10000.")
        var uses = 1

        @Option(help: ArgumentHelp("Seconds it is good for, at most 30 days.", valueName: "seconds"))
        var expiresIn = 86_400

        @Flag(help: "List the tenant's tokens (ids, uses left, expiry) instead of making one.")
        var list = false

        @Option(help: ArgumentHelp("Revoke the token with this id (as --list shows it).", valueName: "id"))
        var revoke: String?

        @Flag(help: "Print JSON: the token made (token, id, uses, expires_at), or the list.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if list && revoke != nil { throw ValidationError("--list and --revoke cannot be given together") }
        }

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, uses, lifetime, list, revoke) = (tenant, uses, expiresIn, list, revoke)
            if list {
                let tokens = try await database.withClient(logger: logger) { client in
                    try await DirectoryAdministration(client: client, logger: logger).registrationTokens(tenant: tenant)
                }
                if json { return try Output.json(tokens) }
                return Output.table(
                    ["ID", "USES LEFT", "EXPIRES", "CREATED"],
                    tokens.map { [$0.id, String($0.usesLeft), Output.date($0.expiresAt), Output.date($0.createdAt)] })
            }
            if let revoke {
                try await database.withClient(logger: logger) { client in
                    try await DirectoryAdministration(client: client, logger: logger)
                        .revokeRegistrationToken(tenant: tenant, id: revoke)
                }
                return print("revoked registration token \(revoke.lowercased())")
            }
            let (token, id, expiresAt) = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger)
                    .createRegistrationToken(tenant: tenant, uses: uses, lifetime: lifetime)
            }
            if json {
                try Output.json(Made(token: token, id: id, uses: uses, expiresAt: expiresAt))
            } else {
                print("initial access token: \(token)")
                print("id \(id), good for \(uses) registration(s) until \(Output.date(expiresAt)); shown only now")
            }
        }

        struct Made: Encodable {
            let token: String
            let id: String
            let uses: Int
            let expiresAt: Date

            enum CodingKeys: String, CodingKey {
                case token, id, uses
                case expiresAt = "expires_at"
            }
        }
    }
}
