import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraPostgres
import TesseraServer

struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Create and manage a tenant's applications (OAuth clients).",
        subcommands: [
            Create.self, List.self, Show.self, RotateSecret.self, Secrets.self, SetAuth.self, SetScopes.self,
            SetTokens.self, SetRedirectURIs.self, Disable.self, Enable.self, RegistrationToken.self,
        ]
    )

    /// `--tenant` and `--consumer-key`, shared by the commands that act on one application.
    struct ApplicationOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(help: ArgumentHelp("The application's consumer key.", valueName: "key"))
        var consumerKey: String
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an application; prints its consumer key and secret (the secret is shown only now).")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(help: "A name, unique within the tenant.")
        var name: String

        @Option(
            help: ArgumentHelp("Comma-separated grant types the application may use.", valueName: "types"))
        var grantTypes = "client_credentials"

        @Option(help: ArgumentHelp("Space-separated scopes the application may request.", valueName: "scopes"))
        var scopes = ApplicationSettings.defaultScope

        @Option(help: ArgumentHelp("Scopes of a token requested without `scope`.", valueName: "scopes"))
        var defaultScopes = ApplicationSettings.defaultScope

        @Option(help: ArgumentHelp("Token lifetime without validity_period, in seconds.", valueName: "seconds"))
        var tokenValidity = ApplicationSettings.defaultTokenValidity

        @Option(help: ArgumentHelp("Largest validity_period a request may ask for, in seconds.", valueName: "seconds"))
        var maxTokenValidity = ApplicationSettings.defaultMaxTokenValidity

        @Option(
            help: ArgumentHelp(
                "Lifetime of each refresh token (grant type refresh_token), in seconds (default 14 days).",
                valueName: "seconds"))
        var refreshTokenValidity = ClientApplication.defaultRefreshTokenValidity

        @Flag(help: "A resource server: may introspect every token of its tenant, not only its own.")
        var introspectAny = false

        @Option(
            help: ArgumentHelp(
                "never: every request gets a new token; active: a request matching a live token of the same subject and scopes gets it back (sealed under the server key).",
                valueName: "never|active"))
        var tokenReuse: ClientApplication.TokenReuse = .never

        @Option(
            help: ArgumentHelp(
                "With --token-reuse active, a token with fewer seconds left is not reused.", valueName: "seconds"))
        var reuseMinRemaining = ClientApplication.defaultReuseMinRemaining

        @OptionGroup var authentication: AuthenticationOptions

        @Flag(
            help: ArgumentHelp(
                "A public client: a native or browser app that cannot keep a secret. It gets none, authenticates with client_id alone (token_endpoint_auth_method none), and uses the authorization code grant with PKCE."
            ))
        var `public` = false

        @Option(
            help: ArgumentHelp(
                "Comma-separated redirect URIs for the authorization code grant: https, or http on 127.0.0.1/[::1] (any port at request time).",
                valueName: "uris"))
        var redirectUris: String?

        @OptionGroup var tokens: TokenFormatOptions

        @Flag(help: "Print the application, key and secret as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let requested = Set(
                grantTypes.split(separator: ",").map { GrantType(rawValue: $0.trimmingCharacters(in: .whitespaces)) })
            // Checked before the database is touched: bad input fails the same whether or not it can be reached.
            var settings: ApplicationSettings
            do {
                settings = try ApplicationSettings(
                    name: name, grantTypes: requested, allowedScopes: scopes, defaultScopes: defaultScopes,
                    defaultTokenValidity: tokenValidity, maxTokenValidity: maxTokenValidity,
                    refreshTokenValidity: refreshTokenValidity, introspectAny: introspectAny, tokenReuse: tokenReuse,
                    reuseMinRemaining: reuseMinRemaining, supportedGrantTypes: InstalledGrants.grantTypes)
            } catch {
                throw CommandFailure("\(error)")
            }
            if let chosen = try authentication.authentication() { settings.authentication = chosen }
            if `public` {
                guard !authentication.given else {
                    throw CommandFailure(
                        "--public takes no --auth-method, --jwks-file or --jwks-uri: it proves nothing")
                }
                settings.authentication = .publicClient
            }
            do {
                settings.redirectURIs = try ApplicationSettings.redirectURIs(
                    (redirectUris ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                try settings.checkCoherence()
            } catch {
                throw CommandFailure("\(error)")
            }
            settings.tokens = try tokens.tokens()
            // A client that may only use private_key_jwt has no use for a secret: none is shown.
            let showsSecret = settings.authentication.usesSecret
            let (tenant, settingsToWrite) = (tenant, settings)
            let (application, madeSecret) = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger)
                    .createApplication(tenant: tenant, settings: settingsToWrite)
            }
            let secret = showsSecret ? madeSecret : nil
            if json {
                try Output.json(CreatedApplication(application: application, consumerSecret: secret))
            } else {
                print("created application \(application.name) in \(application.tenant)")
                print("consumer key:    \(application.consumerKey)")
                if let secret {
                    print("consumer secret: \(secret)")
                    print("(the secret is shown only once; store it now)")
                } else if settingsToWrite.authentication.isPublic {
                    print("a public client: no secret; it names itself with client_id and proves the request with PKCE")
                } else {
                    print(
                        "authenticates with private_key_jwt only (keys: \(application.keyIDs.joined(separator: ", ")))")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's applications.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Flag(help: "Print a JSON array.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let tenant = tenant
            let applications = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).applications(tenant: tenant)
            }
            if json {
                try Output.json(applications)
            } else {
                Output.table(
                    ["NAME", "CONSUMER KEY", "GRANT TYPES", "SCOPES", "ENABLED"],
                    applications.map {
                        [
                            $0.name, $0.consumerKey, $0.grantTypes.joined(separator: ","),
                            $0.scopes.joined(separator: " "),
                            $0.enabled ? "yes" : "no",
                        ]
                    })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one application (never its secret).")

        @OptionGroup var application: ApplicationOptions

        @Flag(help: "Print one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key) = (application.tenant, application.consumerKey)
            let record = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).application(
                    tenant: tenant, consumerKey: key)
            }
            if json {
                try Output.json(record)
            } else {
                Output.table(
                    ["FIELD", "VALUE"],
                    [
                        ["tenant", record.tenant], ["name", record.name], ["consumer key", record.consumerKey],
                        ["grant types", record.grantTypes.joined(separator: ",")],
                        ["scopes", record.scopes.joined(separator: " ")],
                        ["default scopes", record.defaultScopes.joined(separator: " ")],
                        ["token validity", "\(record.tokenValidity) s"],
                        ["max token validity", "\(record.maxTokenValidity) s"],
                        ["refresh token validity", "\(record.refreshTokenValidity) s"],
                        ["introspects any token", record.introspectAny ? "yes" : "no"],
                        ["token reuse", "\(record.tokenReuse) (min remaining \(record.reuseMinRemaining) s)"],
                        ["authentication", record.authMethods.joined(separator: ",")],
                        ["public keys (kid)", record.keyIDs.isEmpty ? "-" : record.keyIDs.joined(separator: ", ")],
                        ["public keys at", record.jwksURI ?? "-"],
                        ["token format", record.tokenFormat],
                        ["resources", record.resources.isEmpty ? "-" : record.resources.joined(separator: ", ")],
                        ["enabled", record.enabled ? "yes" : "no"], ["created", Output.date(record.createdAt)],
                    ])
            }
        }
    }

    struct SetAuth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-auth",
            abstract: "Set how an application's client authenticates: its methods and its public keys.",
            discussion: """
                Every server follows within a second. The secret is kept, so a client moving to private_key_jwt \
                can be allowed both methods while its replicas move, then private_key_jwt alone. Giving \
                --jwks-file again replaces the keys (list the new key beside the old one until the client signs \
                with the new one); --jwks-uri has the server fetch the client's published set instead (cached five \
                minutes, fetched again at once for a kid it lacks); without either the registered keys or URL stay \
                while private_key_jwt is allowed.
                """)

        @OptionGroup var application: ApplicationOptions

        @OptionGroup var authentication: AuthenticationOptions

        @Flag(help: "Print the application as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard authentication.given else {
                throw CommandFailure("give --auth-method, --jwks-file or --jwks-uri")
            }
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key, options) = (application.tenant, application.consumerKey, authentication)
            // The registered keys first: a refused choice is the operator's error (status 1), not the database's.
            let stored = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).authentication(
                    tenant: tenant, consumerKey: key)
            }
            guard let chosen = try options.authentication(stored: stored) else {
                throw CommandFailure("give --auth-method, --jwks-file or --jwks-uri")
            }
            let record = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).setAuthentication(
                    tenant: tenant, consumerKey: key, authentication: chosen)
            }
            if json {
                try Output.json(record)
            } else {
                print("\(record.consumerKey) authenticates with \(record.authMethods.joined(separator: ", "))")
            }
        }
    }

    struct SetTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-tokens",
            abstract:
                "Set how an application's access tokens are written (opaque or jwt) and the resources they may be for.",
            discussion: """
                Every server follows within a second. Tokens already issued keep their format and audience; what \
                is not given stays as it is. --resources "" removes every resource.
                """)

        @OptionGroup var application: ApplicationOptions

        @OptionGroup var tokens: TokenFormatOptions

        @Flag(help: "Print the application as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard tokens.given else { throw CommandFailure("give --token-format, --resources or both") }
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key) = (application.tenant, application.consumerKey)
            let current = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).application(
                    tenant: tenant, consumerKey: key)
            }
            let chosen = try tokens.tokens(
                currentFormat: ClientApplication.TokenFormat(rawValue: current.tokenFormat) ?? .opaque,
                currentResources: current.resources)
            let record = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).setTokens(
                    tenant: tenant, consumerKey: key, tokens: chosen)
            }
            if json {
                try Output.json(record)
            } else {
                let resources = record.resources.isEmpty ? "no resource" : record.resources.joined(separator: ", ")
                print("\(record.consumerKey) gets \(record.tokenFormat) access tokens for \(resources)")
            }
        }
    }

    struct SetScopes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-scopes",
            abstract: "Set the scopes an application may request, and those a request without `scope` gets.",
            discussion: """
                Every server follows within a second; tokens already issued keep their scopes. Without \
                --default-scopes the default scopes stay as they are, which must then be among the new scopes \
                (else give --default-scopes too).
                """)

        @OptionGroup var application: ApplicationOptions

        @Option(help: ArgumentHelp("Space-separated scopes the application may request.", valueName: "scopes"))
        var scopes: String

        @Option(help: ArgumentHelp("Scopes of a token requested without `scope`.", valueName: "scopes"))
        var defaultScopes: String?

        @Flag(help: "Print the application as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key) = (application.tenant, application.consumerKey)
            // Checked before the database is touched; without --default-scopes, the current defaults are checked
            // against the new scopes in the same transaction as the change.
            let (allowed, defaults) = try Self.checked(scopes, defaultScopes ?? scopes)
            let kept = defaultScopes == nil ? nil : defaults
            let record = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).setScopes(
                    tenant: tenant, consumerKey: key, allowed: allowed, defaults: kept)
            }
            if json {
                try Output.json(record)
            } else {
                let (scopes, defaults) = (record.scopes, record.defaultScopes)
                print(
                    "\(record.consumerKey) may request \(scopes.joined(separator: " ")); a request without scope gets \(defaults.joined(separator: " "))"
                )
            }
        }

        private static func checked(_ allowed: String, _ defaults: String) throws -> (ScopeSet, ScopeSet) {
            do {
                return try ApplicationSettings.scopes(allowed: allowed, defaults: defaults)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Replace an application's secret and print the new one.",
            discussion: """
                Without --grace the old secret stops working at once, on every server within a second. With \
                --grace the old one keeps working beside the new one until the grace period ends, so that every \
                replica of the client can move to the new secret without downtime; then it stops on every server \
                at the same moment. At most two secrets are valid: rotating again replaces the previous one.
                """)

        @OptionGroup var application: ApplicationOptions

        @Option(
            help: ArgumentHelp(
                "Keep the old secret valid this long beside the new one: 90s, 30m, 24h or 7d, at most 30d.",
                valueName: "duration"))
        var grace: GracePeriod?

        @Flag(help: "Also revoke every token the application holds (after a leaked secret).")
        var revokeTokens = false

        @Flag(help: "Print consumer_key and consumer_secret (and previous_secret_expires_at) as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        /// The operation refuses this too (for the admin API); here it is a usage error naming the options, before
        /// the database is touched.
        func validate() throws {
            if revokeTokens, (grace?.seconds ?? 0) > 0 {
                throw ValidationError(
                    "--revoke-tokens is for a leaked secret, which must stop at once: leave out --grace")
            }
        }

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key, revoke, grace) = (
                application.tenant, application.consumerKey, revokeTokens, grace?.seconds ?? 0
            )
            let rotation = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).rotateSecret(
                    tenant: tenant, consumerKey: key, revokeTokens: revoke, grace: grace)
            }
            if json {
                try Output.json(
                    RotatedSecret(
                        consumerKey: key, consumerSecret: rotation.secret,
                        previousSecretExpiresAt: rotation.previousExpiresAt))
            } else {
                print("consumer key:    \(key)")
                print("consumer secret: \(rotation.secret)")
                print("(the secret is shown only once; store it now)")
                if let expiry = rotation.previousExpiresAt {
                    print("the previous secret stays valid until \(Output.date(expiry))")
                } else {
                    print("the previous secret no longer works")
                }
            }
        }

        struct RotatedSecret: Encodable {
            let consumerKey: String
            let consumerSecret: String
            let previousSecretExpiresAt: Date?

            enum CodingKeys: String, CodingKey {
                case consumerKey = "consumer_key"
                case consumerSecret = "consumer_secret"
                case previousSecretExpiresAt = "previous_secret_expires_at"
            }
        }
    }

    struct Secrets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an application's valid secrets with their dates (never the secrets themselves).")

        @OptionGroup var application: ApplicationOptions

        @Flag(help: "Print a JSON array.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, key) = (application.tenant, application.consumerKey)
            let secrets = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).secrets(
                    tenant: tenant, consumerKey: key)
            }
            if json {
                try Output.json(secrets)
            } else {
                Output.table(
                    ["SECRET", "CREATED", "EXPIRES"],
                    secrets.map {
                        [
                            $0.secret.rawValue, $0.createdAt.map(Output.date) ?? "-",
                            $0.expiresAt.map(Output.date) ?? "-",
                        ]
                    })
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Disable an application: its credentials are refused (401) and its tokens revoked, on every server within a second."
        )

        @OptionGroup var application: ApplicationOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await AppCommand.setEnabled(false, application, database)
            print("disabled application \(application.consumerKey)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled application again.")

        @OptionGroup var application: ApplicationOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await AppCommand.setEnabled(true, application, database)
            print("enabled application \(application.consumerKey)")
        }
    }

    static func setEnabled(_ enabled: Bool, _ application: ApplicationOptions, _ database: DatabaseOptions) async throws
    {
        let logger = CommandLogging.logger(level: .warning)
        let (tenant, key) = (application.tenant, application.consumerKey)
        try await database.withClient(logger: logger) { client in
            try await DirectoryAdministration(client: client, logger: logger)
                .setApplication(tenant: tenant, consumerKey: key, enabled: enabled)
        }
    }
}

/// `app create --json`: the application and, this once, its secret.
struct CreatedApplication: Encodable {
    let application: ApplicationRecord
    /// Nil for a client that may only use private_key_jwt.
    let consumerSecret: String?

    enum CodingKeys: String, CodingKey {
        case consumerSecret = "consumer_secret"
    }

    func encode(to encoder: any Encoder) throws {
        try application.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(consumerSecret, forKey: .consumerSecret)
    }
}

extension ClientApplication.TokenReuse: ExpressibleByArgument {}
