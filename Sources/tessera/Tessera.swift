import ArgumentParser

/// `tessera`: the multi-tenant OAuth 2.0 authorization server and its administration commands (see main.swift).
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "A multi-tenant OAuth 2.0 authorization server.",
        discussion: """
            Every command that touches the database reads its URL from --database-url or DATABASE_URL
            (postgres://user:password@host:5432/database). Run `tessera migrate` once before `tessera serve`.
            """,
        subcommands: [
            MigrateCommand.self, ServeCommand.self, TenantCommand.self, AppCommand.self, UserCommand.self,
            TokenCommand.self, KeyCommand.self, PurgeCommand.self, StatsCommand.self, AuditCommand.self,
            AdminCommand.self, ResourceCommand.self,
        ]
    )
}
