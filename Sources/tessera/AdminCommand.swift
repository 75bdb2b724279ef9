import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraPostgres
import TesseraServer

/// `tessera admin`: the first clients of the admin API, made with direct database access (bootstrapping).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Make clients of the admin API (/admin/v1/).",
        subcommands: [CreateClient.self]
    )

    struct CreateClient: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-client",
            abstract: "Create an admin API client; prints its consumer key and secret (the secret is shown only now).",
            discussion: """
                Without --tenant: a client of the system tenant (made if missing) with scope tessera:admin, which \
                administers every tenant. With --tenant: a client of that tenant with scope tessera:tenant-admin, \
                which administers that tenant only. Either gets its token with the client credentials grant and the \
                scope, from /token (the system tenant, when serve has no --default-tenant) or /t/<tenant>/token.
                """)

        @Option(help: "A name, unique within the tenant.")
        var name: String

        @Option(
            help: ArgumentHelp(
                "Make a tenant administrator of this tenant instead of a system administrator.", valueName: "domain"))
        var tenant: String?

        @Option(
            help: ArgumentHelp(
                "The system tenant (env: TESSERA_ADMIN_TENANT; default system); the same as serve's.",
                valueName: "domain"))
        var adminTenant: String?

        @Flag(help: "Print the application, key and secret as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let system =
                adminTenant ?? ProcessInfo.processInfo.environment["TESSERA_ADMIN_TENANT"]
                ?? ServerConfiguration.defaultAdminTenant
            let scope = tenant == nil ? "tessera:admin" : "tessera:tenant-admin"
            let settings: ApplicationSettings
            do {
                settings = try ApplicationSettings(
                    name: name, allowedScopes: scope, defaultScopes: scope,
                    supportedGrantTypes: InstalledGrants.grantTypes)
            } catch {
                throw CommandFailure("\(error)")
            }
            if let tenant, Tenant.normalizedDomain(tenant) == Tenant.normalizedDomain(system) {
                throw CommandFailure(
                    "the system tenant has no tenant administrators: its clients with tessera:admin administer every tenant"
                )
            }
            let domain = tenant ?? system
            let madeSystem = tenant == nil
            let (application, secret) = try await database.withClient(logger: logger) { client in
                let administration = DirectoryAdministration(client: client, logger: logger)
                if madeSystem {
                    do {
                        _ = try await administration.tenant(domain: domain)
                    } catch let error as AdministrationError where error.kind == .notFound {
                        do {
                            _ = try await administration.createTenant(domain: domain)
                        } catch let error as AdministrationError where error.kind == .conflict {
                            // Made meanwhile by another create-client: the system tenant exists, as wanted.
                        }
                    }
                }
                return try await administration.createApplication(tenant: domain, settings: settings)
            }
            if json {
                try Output.json(CreatedApplication(application: application, consumerSecret: secret))
            } else {
                print("created admin client \(application.name) in \(application.tenant) with scope \(scope)")
                print("consumer key:    \(application.consumerKey)")
                print("consumer secret: \(secret)")
                print("(the secret is shown only once; store it now)")
            }
        }
    }
}
