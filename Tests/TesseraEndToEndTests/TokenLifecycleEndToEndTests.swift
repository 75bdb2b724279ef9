import Foundation
import Testing

/// Issue 4's commands on the built binary: introspection and revocation over a socket, `tessera token revoke`
/// reaching a running server at once, `app create --introspect-any`, and `tessera purge`.
@Suite("token lifecycle, end to end")
struct TokenLifecycleEndToEndTests {
    @Test("introspect, revoke through the endpoint and the CLI, purge")
    func lifecycle() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "life-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        func create(_ arguments: [String]) async throws -> ServeEndToEndTests.Application {
            let created = try await TesseraBinary.run(
                ["app", "create", "--tenant", domain, "--json"] + arguments, databaseURL: database)
            try #require(created.status == 0, "app create: \(created.error)")
            return try JSONDecoder().decode(ServeEndToEndTests.Application.self, from: Data(created.output.utf8))
        }
        let backend = try await create(["--name", "backend"])
        let api = try await create(["--name", "api", "--introspect-any"])
        let shown = try await TesseraBinary.run(
            ["app", "show", "--tenant", domain, "--consumer-key", api.consumer_key, "--json"], databaseURL: database)
        #expect(shown.output.contains("\"introspect_any\":true"))
        #expect(shown.output.contains("\"refresh_token_validity\":1209600"))

        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-life-\(port).log")
        let server = try TesseraBinary.serve(["--port", "\(port)"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()

        func token() async throws -> String {
            let answer = try await client.post(
                "/t/\(domain)/token", form: "grant_type=client_credentials", key: backend.consumer_key,
                secret: backend.consumer_secret)
            return try #require(answer.json["access_token"] as? String)
        }
        func active(_ token: String) async throws -> Bool {
            let answer = try await client.post(
                "/t/\(domain)/introspect", form: "token=\(token)", key: api.consumer_key, secret: api.consumer_secret)
            #expect(answer.status == 200)
            return try #require(answer.json["active"] as? Bool)
        }

        let first = try await token()
        #expect(try await active(first))
        let revoked = try await client.post(
            "/t/\(domain)/revoke", form: "token=\(first)", key: backend.consumer_key, secret: backend.consumer_secret)
        #expect(revoked.status == 200)
        #expect(try await !active(first))

        let second = try await token()
        let cli = try await TesseraBinary.run(
            ["token", "revoke", "--tenant", domain, "--consumer-key", backend.consumer_key], databaseURL: database)
        #expect(cli.status == 0, "\(cli.error)")
        #expect(try await !active(second), "an administrator's revocation holds at once")
        #expect(try await active(try await token()), "tokens issued afterwards work")

        let purge = try await TesseraBinary.run(["purge"], databaseURL: database)
        #expect(purge.status == 0, "\(purge.error)")
        #expect(purge.output.hasPrefix("dropped "))
        let json = try await TesseraBinary.run(["purge", "--json"], databaseURL: database)
        let report = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(report?["dropped_partitions"] is [Any])

        server.terminate()
        server.waitUntilExit()
        let logText = try String(contentsOf: log, encoding: .utf8)
        for secret in [first, second, backend.consumer_secret, api.consumer_secret] {
            #expect(!logText.contains(secret))
        }
    }
}
