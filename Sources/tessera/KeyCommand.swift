import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraPostgres

/// `tessera key`: a tenant's signing keys for JWT access tokens, and their rotation.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "List and rotate a tenant's signing keys (JWT access tokens).",
        discussion: """
            A key is published in /t/<tenant>/jwks before it signs (next), signs (active), then stays published \
            until the last token it signed has expired (retired). A new key signs only after it has been published \
            for longer than the key set may be cached, so no verifier meets a key it has not fetched. A tenant's \
            first key is made by the first JWT it issues; servers rotate keys by themselves (serve --key-rotation-days).
            """,
        subcommands: [List.self, Rotate.self, Retire.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's signing keys, newest first.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Flag(help: "Print one JSON array.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            // Listing reads public keys and dates only: no server key is needed, so none is made.
            let throwaway = ServerKey(base64: ServerKey.generateKey())!
            let keys = try await KeyCommand.withKeys(database, tenant: tenant, serverKey: throwaway) {
                try await $0.list($1, at: nil)
            }
            if json {
                try Output.json(keys)
                return
            }
            Output.table(
                ["KID", "ALGORITHM", "STATE", "CREATED", "SIGNS FROM", "SIGNS UNTIL", "PUBLISHED UNTIL"],
                keys.map { key in
                    [
                        key.kid, key.algorithm, key.state, Output.date(key.createdAt), Output.date(key.activatesAt),
                        key.signsUntil.map(Output.date) ?? "-", key.publishedUntil.map(Output.date) ?? "-",
                    ]
                })
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new signing key: published now, signing once verifiers have had time to fetch it.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(
            help: ArgumentHelp(
                "ES256, EdDSA or RS256 (default: the algorithm of the key signing now, else ES256).",
                valueName: "algorithm"))
        var algorithm: SigningAlgorithm?

        @OptionGroup var serverKey: ServerKeyOptions

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let algorithm = algorithm
            let sealing = try serverKey.key(ProcessInfo.processInfo.environment)
            let key = try await KeyCommand.withKeys(database, tenant: tenant, serverKey: sealing) {
                try await $0.rotate($1, algorithm: algorithm, at: nil)
            }
            print(
                "made key \(key.id) (\(key.algorithm.name)) for \(tenant): signs from \(Output.date(key.activatesAt))")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a key signing now (a leaked key): the next key, or a new one, signs at once.",
            discussion: """
                Verifiers that cached the key set before the new key was published reject its tokens until they \
                fetch the set again. Tokens the retired key signed stay valid until they expire: revoke them with \
                `tessera token revoke` where needed.
                """)

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(help: ArgumentHelp("The key's id, as `tessera key list` shows it.", valueName: "kid"))
        var kid: String

        @OptionGroup var serverKey: ServerKeyOptions

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let kid = kid
            let sealing = try serverKey.key(ProcessInfo.processInfo.environment)
            let state = try await KeyCommand.withKeys(database, tenant: tenant, serverKey: sealing) {
                try await $0.retire($1, kid: kid, at: nil)
            }
            print(
                state == .active
                    ? "retired key \(kid) of \(tenant); another key signs from now"
                    : "retired key \(kid) of \(tenant) before it signed")
        }
    }
}

extension KeyCommand {
    /// Runs `body` with the signing key store and the id of the tenant `domain`, on the database's own clock.
    static func withKeys<Result: Sendable>(
        _ database: DatabaseOptions, tenant domain: String, serverKey: ServerKey,
        _ body: @escaping @Sendable (PostgresSigningKeys, Tenant.ID) async throws -> Result
    ) async throws -> Result {
        let logger = CommandLogging.logger(level: .warning)
        return try await database.withClient(logger: logger) { client in
            let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
            return try await body(PostgresSigningKeys(client: client, serverKey: serverKey, logger: logger), tenantID)
        }
    }
}

extension SigningAlgorithm: ExpressibleByArgument {}
