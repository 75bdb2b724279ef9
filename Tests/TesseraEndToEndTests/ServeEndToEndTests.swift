import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built `tessera` binary against the real PostgreSQL that deploy/test.sh starts, over real sockets.
@Suite("tessera binary, end to end")
struct ServeEndToEndTests {
    struct Application: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    @Test(
        "migrate, create a tenant and application, serve, issue tokens; CLI changes reach the server without a restart")
    func fullJourney() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "e2e-\(UInt32.random(in: 0...UInt32.max)).test"
        let tenant = try await TesseraBinary.run(["tenant", "create", domain, "--json"], databaseURL: database)
        try #require(tenant.status == 0, "tenant create: \(tenant.error)")
        #expect(tenant.output.contains("\"domain\":\"\(domain)\""))
        let created = try await TesseraBinary.run(
            ["app", "create", "--tenant", domain, "--name", "e2e", "--scopes", "default read", "--json"],
            databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let application = try JSONDecoder().decode(Application.self, from: Data(created.output.utf8))
        #expect(application.consumer_key.count == 28)

        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-e2e-\(port).log")
        let server = try TesseraBinary.serve(
            ["--port", "\(port)", "--default-tenant", domain, "--log-level", "debug"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()

        let (key, secret) = (application.consumer_key, application.consumer_secret)
        let first = try await client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials", key: key, secret: secret)
        #expect(first.status == 200)
        #expect(first.json["scope"] as? String == "default")
        #expect(first.json["token_type"] as? String == "Bearer")
        #expect(first.json["expires_in"] as? Int == 3600)
        let firstToken = try #require(first.json["access_token"] as? String)

        let narrow = try await client.post(
            "/token", form: "grant_type=client_credentials&scope=read&validity_period=600", key: key, secret: secret)
        #expect(narrow.status == 200)
        #expect(narrow.json["scope"] as? String == "read")
        #expect(narrow.json["expires_in"] as? Int == 600)
        let secondToken = try #require(narrow.json["access_token"] as? String)

        let wrong = try await client.post("/token", form: "grant_type=client_credentials", key: key, secret: "wrong")
        #expect(wrong.status == 401)
        #expect(wrong.json["error"] as? String == "invalid_client")

        // The database holds hashes: two rows for this tenant, and neither the tokens nor the secret anywhere.
        let rows = try await TesseraBinary.psql(
            """
            SELECT count(*) FROM access_tokens t JOIN tenants n USING (tenant_id) WHERE n.domain = '\(domain)'
            """, databaseURL: database)
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let dump = try await TesseraBinary.psql(
            "SELECT (SELECT string_agg(t::text, '|') FROM access_tokens t) || (SELECT string_agg(a::text, '|') FROM applications a)",
            databaseURL: database)
        for secretValue in [firstToken, secondToken, secret] { #expect(!dump.contains(secretValue)) }

        // A rotated secret is refused by the running server within a second; the new one works.
        let rotated = try await TesseraBinary.run(
            ["app", "rotate-secret", "--tenant", domain, "--consumer-key", key, "--json"], databaseURL: database)
        try #require(rotated.status == 0)
        let newSecret = try JSONDecoder().decode(Application.self, from: Data(rotated.output.utf8)).consumer_secret
        try await expectWithinOneSecond(status: 401, client: client, key: key, secret: secret)
        #expect(
            try await client.post("/token", form: "grant_type=client_credentials", key: key, secret: newSecret).status
                == 200)

        // A disabled application is refused within a second.
        #expect(
            try await TesseraBinary.run(
                ["app", "disable", "--tenant", domain, "--consumer-key", key], databaseURL: database
            )
            .status == 0)
        try await expectWithinOneSecond(status: 401, client: client, key: key, secret: newSecret)

        // SIGTERM: a clean exit.
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)

        let logText = try String(contentsOf: log, encoding: .utf8)
        #expect(logText.contains("tessera is serving"))
        for secretValue in [firstToken, secondToken, secret, newSecret] { #expect(!logText.contains(secretValue)) }
    }

    private func expectWithinOneSecond(status: Int, client: TokenClient, key: String, secret: String) async throws {
        let deadline = ContinuousClock.now + .seconds(1)
        var last = 0
        repeat {
            last = try await client.post("/token", form: "grant_type=client_credentials", key: key, secret: secret)
                .status
            if last == status { return }
            try await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        Issue.record("expected \(status) within one second, still \(last)")
    }

    @Test("serve refuses an unmigrated database and names the command to run")
    func unmigrated() async throws {
        let database = try TesseraBinary.databaseURL()
        let slash = try #require(database.lastIndex(of: "/"))
        let empty = String(database[..<slash]) + "/postgres"
        let result = try await TesseraBinary.run(
            ["serve", "--port", "\(try TesseraBinary.freePort())"], databaseURL: empty)
        #expect(result.status != 0)
        #expect(result.error.contains("tessera migrate"))
        #expect(result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count == 1)
    }

    @Test("serve refuses an unreachable database with a one-line reason")
    func unreachable() async throws {
        let result = try await TesseraBinary.run(
            ["serve", "--port", "\(try TesseraBinary.freePort())"],
            databaseURL: "postgres://tessera@127.0.0.1:1/tessera")
        #expect(result.status != 0)
        let errorLines = result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1)
        #expect(errorLines.first?.contains("127.0.0.1:1") == true)
    }

    @Test(
        "bad input exits non-zero with one line and no stack trace",
        arguments: [
            ["tenant", "create", "not a domain"],
            ["app", "create", "--tenant", "no-such-tenant.test", "--name", "x"],
            ["app", "create", "--tenant", "no-such-tenant.test", "--name", "x", "--token-validity", "0"],
            ["app", "create", "--tenant", "no-such-tenant.test", "--name", "x", "--grant-types", "implicit"],
            ["app", "disable", "--tenant", "no-such-tenant.test", "--consumer-key", "abc"],
            ["tenant", "disable", "no-such-tenant.test"],
        ])
    func badInput(_ arguments: [String]) async throws {
        let result = try await TesseraBinary.run(arguments, databaseURL: try TesseraBinary.databaseURL())
        #expect(result.status != 0)
        #expect(result.error.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
        #expect(!result.error.contains("Fatal error") && !result.error.contains("Stack"))
    }

    @Test("a duplicate tenant is refused and the first stays as it was")
    func duplicateTenant() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "dup-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let again = try await TesseraBinary.run(["tenant", "create", domain.uppercased()], databaseURL: database)
        #expect(again.status != 0)
        #expect(again.error.contains("already exists"))
        let count = try await TesseraBinary.psql(
            "SELECT count(*) FROM tenants WHERE domain = '\(domain)'", databaseURL: database)
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}
