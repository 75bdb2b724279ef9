import ArgumentParser
import Foundation
import Logging
import TesseraPostgres

extension TenantCommand {
    /// `tessera tenant registration D [--open --scopes S [--per-hour N] | --close]`: shows or changes whether clients
    /// may register themselves at /t/D/register without an initial access token.
    struct Registration: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show, open or close a tenant's open client registration (RFC 7591 without an initial access token).",
            discussion: """
                Closed by default: a client registers only with an initial access token (tessera app \
                registration-token). Opened, anyone may register a client at /t/<domain>/register, with at most the \
                scopes given here (a registration asking for none gets them all), and at most --per-hour clients an \
                hour across every server; each address is throttled as well. Such clients get tokens with no user \
                behind them: open only scopes meant for that.
                """)

        @Argument(help: "The tenant's domain.")
        var domain: String

        @Flag(help: "Open the registration.")
        var open = false

        @Flag(help: "Close the registration; clients registered already stay.")
        var close = false

        @Option(help: "With --open: the scopes an openly registered client may have, space-separated.")
        var scopes: String?

        @Option(help: "With --open: how many clients may register in an hour (1 to 10000).")
        var perHour = OpenRegistration.defaultPerHour

        @Flag(help: "Print the registration's state as one JSON object.")
        var json = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if open && close { throw ValidationError("--open and --close cannot be given together") }
            if open && scopes == nil {
                throw ValidationError("--open needs --scopes: the scopes a client may register")
            }
            if !open && scopes != nil { throw ValidationError("--scopes goes with --open") }
        }

        func run() async throws {
            let logger = CommandLogging.logger(level: .warning)
            let (domain, open, close) = (domain, open, close)
            let policy = try open ? OpenRegistration(scopes: scopes ?? "", perHour: perHour) : nil
            let state = try await database.withClient(logger: logger) { client in
                let administration = DirectoryAdministration(client: client, logger: logger)
                if open || close { try await administration.setOpenRegistration(tenant: domain, policy) }
                return try await administration.openRegistration(tenant: domain)
            }
            if json {
                try Output.json(OpenRegistrationState(policy: state))
            } else if let state {
                print(
                    "registration of \(domain.lowercased()) is open: scopes \(state.scopes), \(state.perHour) an hour")
            } else {
                print("registration of \(domain.lowercased()) is closed: an initial access token is needed")
            }
        }
    }
}

/// The JSON the CLI prints and the admin API answers: `{"open": false}` or `{"open": true, "scopes", "per_hour"}`.
struct OpenRegistrationState: Encodable {
    let policy: OpenRegistration?

    func encode(to encoder: any Encoder) throws {
        if let policy { try policy.encode(to: encoder) }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(policy != nil, forKey: .open)
    }

    private enum Key: String, CodingKey { case open }
}
