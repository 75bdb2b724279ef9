import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraPostgres

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Act on issued tokens.",
        subcommands: [Revoke.self, GenerateKey.self]
    )

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke every token an application holds now (or only one user's), on every server at once.",
            discussion: "Tokens issued afterwards are not affected; the application keeps working.")

        @OptionGroup var application: AppCommand.ApplicationOptions

        @Option(name: .customLong("user"), help: ArgumentHelp("Only this user's tokens.", valueName: "username"))
        var username: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key, username) = (application.tenant, application.consumerKey, username)
            try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).revokeTokens(
                    tenant: tenant, consumerKey: key, username: username)
            }
            print("revoked the tokens of application \(key)\(username.map { " for user \($0)" } ?? "")")
        }
    }

    struct GenerateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-key",
            abstract: "Print a new random server key for TESSERA_KEY; give every instance the same one.")

        func run() async throws {
            print(ServerKey.generateKey())
        }
    }
}
