import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create, list, disable and enable tenants; open or close their client registration.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, Registration.self, ClientDocuments.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant, addressed as /t/<domain>/token.")

        @Argument(help: "The tenant's domain, such as acme.com.")
        var domain: String

        @Flag(help: "Print the tenant as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let domain = domain
            let tenant = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).createTenant(domain: domain)
            }
            if json { try Output.json(tenant) } else { print("created tenant \(tenant.domain)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")

        @Flag(help: "Print a JSON array.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let tenants = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).tenants()
            }
            if json {
                try Output.json(tenants)
            } else {
                Output.table(
                    ["DOMAIN", "ENABLED", "APPLICATIONS", "CREATED"],
                    tenants.map {
                        [$0.domain, $0.enabled ? "yes" : "no", String($0.applications), Output.date($0.createdAt)]
                    })
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a tenant: its token endpoint answers 404 on every server within a second.")

        @Argument(help: "The tenant's domain.")
        var domain: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await TenantCommand.setEnabled(false, domain: domain, database: database)
            print("disabled tenant \(domain.lowercased())")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled tenant again.")

        @Argument(help: "The tenant's domain.")
        var domain: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await TenantCommand.setEnabled(true, domain: domain, database: database)
            print("enabled tenant \(domain.lowercased())")
        }
    }

    static func setEnabled(_ enabled: Bool, domain: String, database: DatabaseOptions) async throws {
        let logger = CommandLogging.logger(level: .warning)
        try await database.withClient(logger: logger) { client in
            try await DirectoryAdministration(client: client, logger: logger).setTenant(
                domain: domain, enabled: enabled)
        }
    }
}
