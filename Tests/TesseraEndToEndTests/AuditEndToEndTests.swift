import Foundation
import Testing

/// The audit trail through the binary (issue 16, item 3): every change the CLI makes, and every change the database
/// refused, is in `tessera audit`, with the actor, operation, target and outcome, and never a secret or password.
@Suite("Audit trail, end to end", .timeLimit(.minutes(2)))
struct AuditEndToEndTests {
    struct Event: Decodable {
        let actor: String
        let operation: String
        let target: String
        let outcome: String
    }

    @Test(
        "changes and refusals in order, actor cli, no secret or password; --since and --limit choose, bad input fails")
    func trail() async throws {
        let database = try TesseraBinary.databaseURL()
        let (domain, app) = try await TesseraBinary.tenantWithApplication("audit", databaseURL: database)
        let key = app.consumer_key
        let serverKey = try await TesseraBinary.run(["token", "generate-key"], databaseURL: nil).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let password = "correct horse battery staple"
        func cli(_ arguments: [String], input: String? = nil) async throws -> TesseraBinary.Result {
            try await TesseraBinary.run(
                arguments, databaseURL: database, input: input, environment: ["TESSERA_KEY": serverKey])
        }
        let tenant = ["--tenant", domain]
        let steps: [([String], String?, Int32)] = [
            (["app", "set-scopes"] + tenant + ["--consumer-key", key, "--scopes", "default read"], nil, 0),
            (["app", "create"] + tenant + ["--name", "audit"], nil, 1),  // the name is taken
            (["app", "disable"] + tenant + ["--consumer-key", "nosuchkey"], nil, 1),
            (["app", "rotate-secret"] + tenant + ["--consumer-key", key, "--grace", "1h", "--json"], nil, 0),
            (
                ["user", "create"] + tenant + ["--username", "ada", "--password-stdin", "--password-cost", "4"],
                password, 0
            ),
            (
                ["user", "set-password"] + tenant + ["--username", "ada", "--password-stdin", "--password-cost", "4"],
                password + "!", 0
            ),
            (["token", "revoke"] + tenant + ["--consumer-key", key, "--user", "ada"], nil, 0),
            (["key", "rotate"] + tenant + ["--algorithm", "EdDSA"], nil, 0),
            (["app", "disable"] + tenant + ["--consumer-key", key], nil, 0),
        ]
        var secrets = [app.consumer_secret]
        for (arguments, input, status) in steps {
            let result = try await cli(arguments, input: input)
            #expect(result.status == status, "\(arguments): \(result.error)")
            if arguments.starts(with: ["app", "rotate-secret"]) {
                let rotated = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
                secrets.append(try #require(rotated?["consumer_secret"] as? String))
            }
        }

        let listed = try await cli(["audit"] + tenant + ["--json"])
        #expect(listed.status == 0, "\(listed.error)")
        let events = try JSONDecoder().decode([Event].self, from: Data(listed.output.utf8))
        #expect(
            events.map(\.operation) == [
                "tenant.create", "app.create", "app.set-scopes", "app.create", "app.disable", "app.rotate-secret",
                "user.create", "user.set-password", "token.revoke", "key.rotate", "app.disable",
            ], "\(events.map(\.operation))")
        #expect(events.allSatisfy { $0.actor == "cli" })
        #expect(
            events.map { $0.outcome.prefix(7) } == [
                "ok", "ok: con", "ok", "refused", "refused", "ok", "ok", "ok", "ok", "ok: EdD", "ok",
            ])
        #expect(events[1].outcome == "ok: consumer key \(key)" && events[1].target == "audit", "\(events[1])")
        #expect(events[3].outcome.contains("already exists") && events[3].target == "audit", "\(events[3])")
        #expect(events[4].target == "nosuchkey", "\(events[4])")
        #expect(events[2].target == key && events[6].target == "ada" && events[8].target == "\(key) user ada")
        #expect(secrets.count == 2)
        for secret in secrets + [password] {
            #expect(!listed.output.contains(secret.suffix(16)), "a secret or password in the audit trail")
        }

        let latest = try await cli(["audit"] + tenant + ["--json", "--limit", "2"])
        let two = try JSONDecoder().decode([Event].self, from: Data(latest.output.utf8))
        #expect(two.map(\.operation) == ["key.rotate", "app.disable"])
        let recent = try await cli(["audit"] + tenant + ["--json", "--since", "1h"])
        #expect(try JSONDecoder().decode([Event].self, from: Data(recent.output.utf8)).count == events.count)
        let future = try await cli(["audit"] + tenant + ["--json", "--since", "2099-01-01"])
        #expect(try JSONDecoder().decode([Event].self, from: Data(future.output.utf8)).isEmpty)
        let table = try await cli(["audit"] + tenant)
        #expect(table.status == 0 && table.output.contains("app.rotate-secret"), "\(table.output)")

        let badSince = try await cli(["audit"] + tenant + ["--since", "yesterday"])
        #expect(badSince.status != 0 && badSince.error.contains("since"), "\(badSince.error)")
        let badLimit = try await cli(["audit"] + tenant + ["--limit", "0"])
        #expect(badLimit.status != 0 && badLimit.error.contains("--limit"), "\(badLimit.error)")
        let unknown = try await cli(["audit", "--tenant", "no-such-tenant.test"])
        #expect(unknown.status == 1 && unknown.error.contains("no-such-tenant.test"), "\(unknown.error)")
    }
}
