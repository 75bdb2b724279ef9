import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

extension AppCommand {
    /// `app registration-token`: an initial access token for dynamic client registration (RFC 7591).
    struct RegistrationToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registration-token",
            abstract: "Make an initial access token with which clients register themselves at /t/<tenant>/register.",
            discussion: """
                A client sends it as a bearer token with its metadata (RFC 7591) and gets a consumer key, a secret and \
                a registration access token, which reads or deletes its registration at the registration_client_uri \
                it is given (RFC 7592). The token is shown only now; only its hash is kept.
                """)

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(help: "How many clients may register with it, 1 to 10000.")
        var uses = 1

        @Option(help: ArgumentHelp("Seconds it is good for, at most 30 days.", valueName: "seconds"))
        var expiresIn = 86_400

        @Flag(help: "Print token, uses and expires_at as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, uses, lifetime) = (tenant, uses, expiresIn)
            let (token, expiresAt) = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger)
                    .createRegistrationToken(tenant: tenant, uses: uses, lifetime: lifetime)
            }
            if json {
                try Output.json(Made(token: token, uses: uses, expiresAt: expiresAt))
            } else {
                print("initial access token: \(token)")
                print("good for \(uses) registration(s) until \(Output.date(expiresAt)); shown only now")
            }
        }

        struct Made: Encodable {
            let token: String
            let uses: Int
            let expiresAt: Date

            enum CodingKeys: String, CodingKey {
                case token, uses
                case expiresAt = "expires_at"
            }
        }
    }
}
