import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraPostgres
import TesseraServer

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create and manage a tenant's end users (who sign in with the password grant).",
        subcommands: [
            Create.self, List.self, Disable.self, Enable.self, SetPassword.self, SetRoles.self, Consents.self,
        ]
    )

    struct UserOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain"))
        var tenant: String

        @Option(help: "The username (unique in the tenant, ignoring case).")
        var username: String
    }

    /// `--password-stdin` and the bcrypt cost: passwords never travel as arguments, where `ps` would show them.
    struct PasswordOptions: ParsableArguments {
        @Flag(help: "Read the password from standard input (required; one trailing newline is dropped).")
        var passwordStdin = false

        @Option(help: "bcrypt cost, 4 to 31 (env: TESSERA_PASSWORD_COST; default 12).")
        var passwordCost: Int?

        func hashFromStandardInput() throws -> String {
            guard passwordStdin else {
                throw CommandFailure("pass the password on standard input with --password-stdin")
            }
            var password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            if password.hasSuffix("\n") { password.removeLast() }
            if password.hasSuffix("\r") { password.removeLast() }
            do {
                try UserAdministration.checkPassword(password)
            } catch {
                throw CommandFailure(error.description)
            }
            let cost =
                try passwordCost ?? ProcessInfo.processInfo.environment["TESSERA_PASSWORD_COST"].map {
                    guard let cost = Int($0) else {
                        throw CommandFailure("TESSERA_PASSWORD_COST must be a whole number")
                    }
                    return cost
                } ?? BcryptPasswordHasher.defaultCost
            guard (4...31).contains(cost) else { throw CommandFailure("the bcrypt cost must be between 4 and 31") }
            return BcryptPasswordHasher.hashBlocking(password, cost: cost)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user; the password comes from standard input.")

        @OptionGroup var user: UserOptions
        @OptionGroup var password: PasswordOptions
        @Option(
            name: .customLong("role"),
            help: ArgumentHelp(
                "A role to give the user (repeatable): tenant-admin signs in to the console.", valueName: "role"))
        var roles: [String] = []
        @Flag(help: "Print the user as one JSON object.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let roles = try UserCommand.roles(roles)
            let hash = try password.hashFromStandardInput()
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, username) = (user.tenant, user.username)
            let record = try await database.withClient(logger: logger) { client in
                try await UserAdministration(client: client, logger: logger)
                    .createUser(tenant: tenant, username: username, passwordHash: hash, roles: roles)
            }
            if json { try Output.json(record) } else { print("created user \(record.username) in \(record.tenant)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's users.")

        @Option(help: ArgumentHelp("The tenant's domain.", valueName: "domain")) var tenant: String
        @Flag(help: "Print a JSON array.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let tenant = tenant
            let users = try await database.withClient(logger: logger) { client in
                try await UserAdministration(client: client, logger: logger).users(tenant: tenant)
            }
            if json {
                try Output.json(users)
            } else {
                Output.table(
                    ["USERNAME", "ENABLED", "ROLES", "CREATED"],
                    users.map {
                        [
                            $0.username, $0.enabled ? "yes" : "no",
                            $0.roles.isEmpty ? "-" : $0.roles.joined(separator: ","),
                            Output.date($0.createdAt),
                        ]
                    })
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: sign-ins are refused at once.")
        @OptionGroup var user: UserOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await UserCommand.setEnabled(false, user, database)
            print("disabled user \(user.username)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @OptionGroup var user: UserOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await UserCommand.setEnabled(true, user, database)
            print("enabled user \(user.username)")
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password", abstract: "Replace a user's password; it comes from standard input.")
        @OptionGroup var user: UserOptions
        @OptionGroup var password: PasswordOptions
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let hash = try password.hashFromStandardInput()
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, username) = (user.tenant, user.username)
            try await database.withClient(logger: logger) { client in
                try await UserAdministration(client: client, logger: logger)
                    .setPassword(tenant: tenant, username: username, passwordHash: hash)
            }
            print("password changed for \(username)")
        }
    }

    struct SetRoles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-roles",
            abstract: "Replace a user's roles (tenant-admin signs in to the console); --roles \"\" removes them all.")
        @OptionGroup var user: UserOptions
        @Option(help: ArgumentHelp("The roles, comma-separated.", valueName: "roles")) var roles: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let roles = try UserCommand.roles(roles.split(separator: ",").map(String.init))
            let logger = CommandLogging.logger(level: .warning)
            let (tenant, username) = (user.tenant, user.username)
            try await database.withClient(logger: logger) { client in
                try await UserAdministration(client: client, logger: logger)
                    .setRoles(tenant: tenant, username: username, roles: roles)
            }
            let names = roles.map(\.rawValue).sorted()
            print("roles of \(username): \(names.isEmpty ? "none" : names.joined(separator: ","))")
        }
    }

    /// The roles named, or a one-line failure naming the known ones.
    static func roles(_ names: [String]) throws -> Set<UserRole> {
        let trimmed = names.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let roles = UserRole.parse(trimmed) else {
            throw CommandFailure(
                "unknown role; the roles are: \(UserRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return roles
    }

    static func setEnabled(_ enabled: Bool, _ user: UserOptions, _ database: DatabaseOptions) async throws {
        let logger = CommandLogging.logger(level: .warning)
        let (tenant, username) = (user.tenant, user.username)
        try await database.withClient(logger: logger) { client in
            try await UserAdministration(client: client, logger: logger)
                .setUser(tenant: tenant, username: username, enabled: enabled)
        }
    }
}
