import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

/// `tessera resource`: the resources (APIs, MCP servers) a tenant protects, as RFC 8707 indicators with the names
/// consent pages show.
struct ResourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resource",
        abstract: "Declare, list and remove the resources (APIs, MCP servers) a tenant protects.",
        discussion: """
            A resource is an absolute URI without a fragment (RFC 8707), such as https://mcp.acme.com, with a name \
            the consent page shows. Public clients and clients known by a metadata document may ask for any of the \
            tenant's resources, subject to the user's consent; an application created with --resources stays \
            limited to its own.
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a resource of the tenant, or rename one already declared.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain")) var tenant: String
        @Argument(help: "The resource's URI, such as https://mcp.acme.com.") var uri: String
        @Option(help: "The name the consent page shows, such as \"Acme tools\".") var name: String
        @Flag(help: "Print the resource as one JSON object.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, uri, name) = (tenant, uri, name)
            let resource = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger)
                    .addResource(tenant: tenant, uri: uri, name: name)
            }
            if json { try Output.json(resource) } else { print("\(resource.uri) (\(resource.name))") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's resources.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain")) var tenant: String
        @Flag(help: "Print a JSON array.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let tenant = tenant
            let resources = try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).resources(tenant: tenant)
            }
            if json { return try Output.json(resources) }
            Output.table(["URI", "NAME", "DECLARED"], resources.map { [$0.uri, $0.name, Output.date($0.createdAt)] })
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop declaring a resource; tokens already issued for it keep their audience.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain")) var tenant: String
        @Argument(help: "The resource's URI.") var uri: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, uri) = (tenant, uri)
            try await database.withClient(logger: logger) { client in
                try await DirectoryAdministration(client: client, logger: logger).removeResource(
                    tenant: tenant, uri: uri)
            }
            print("removed \(uri)")
        }
    }
}
