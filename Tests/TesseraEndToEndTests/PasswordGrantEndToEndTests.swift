import Foundation
import Testing

/// Issue 3's commands, verbatim through the binary: users, a password-grant application, sign-ins, and the
/// registered-user numbers in every form (CLI table, JSON, CSV, and the SQL files analysts run).
@Suite("password grant and registered users, end to end")
struct PasswordGrantEndToEndTests {
    struct Created: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    @Test("sign in with the password grant; the statistics agree in every form; no password in the log or database")
    func journey() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "pw-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let password = "correct horse \(UInt32.random(in: 0...UInt32.max))"
        let user = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "alice", "--password-stdin", "--password-cost", "6"],
            databaseURL: database, input: password)
        try #require(user.status == 0, "user create: \(user.error)")
        let duplicate = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "ALICE", "--password-stdin"], databaseURL: database,
            input: "x")
        #expect(duplicate.status != 0 && duplicate.error.contains("already exists"))
        let created = try await TesseraBinary.run(
            [
                "app", "create", "--tenant", domain, "--name", "mobile", "--grant-types", "password,client_credentials",
                "--scopes", "default read", "--json",
            ], databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let app = try JSONDecoder().decode(Created.self, from: Data(created.output.utf8))

        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-pw-\(port).log")
        let server = try TesseraBinary.serve(
            ["--port", "\(port)", "--log-level", "debug", "--password-cost", "6"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()

        let encoded = password.replacingOccurrences(of: " ", with: "%20")
        let path = "/t/\(domain)/token"
        for _ in 0..<2 {
            let ok = try await client.post(
                path, form: "grant_type=password&username=alice&password=\(encoded)&scope=read",
                key: app.consumer_key, secret: app.consumer_secret)
            #expect(ok.status == 200)
            #expect(ok.json["scope"] as? String == "read")
        }
        let wrong = try await client.post(
            path, form: "grant_type=password&username=alice&password=nope", key: app.consumer_key,
            secret: app.consumer_secret)
        #expect(wrong.status == 400 && wrong.json["error"] as? String == "invalid_grant")
        let unknown = try await client.post(
            path, form: "grant_type=password&username=nobody&password=nope", key: app.consumer_key,
            secret: app.consumer_secret)
        #expect(unknown.json["error_description"] as? String == wrong.json["error_description"] as? String)
        let clientCredentials = try await client.post(
            path, form: "grant_type=client_credentials", key: app.consumer_key, secret: app.consumer_secret)
        #expect(clientCredentials.status == 200)

        let table = try await TesseraBinary.run(
            ["stats", "registered-users", "--tenant", domain], databaseURL: database)
        let row = try #require(table.output.split(separator: "\n").first { $0.hasPrefix("mobile") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true)[2...3] == ["1", "1"])
        let json = try await TesseraBinary.run(
            ["stats", "registered-users", "--tenant", domain, "--format", "json"], databaseURL: database)
        #expect(json.output.contains("\"registered_users\":1"))
        let csv = try await TesseraBinary.run(
            ["stats", "registered-users", "--tenant", domain, "--format", "csv"], databaseURL: database)
        #expect(csv.output.contains("\"mobile\",\(app.consumer_key),1,1,"))

        let sql = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql/analytics")
        func run(_ file: String, _ variables: [String] = []) async throws -> String {
            try await TesseraBinary.psql(
                variables.flatMap { ["-v", $0] } + ["-f", sql.appendingPathComponent(file).path], databaseURL: database)
        }
        #expect(
            try await run("registered_users_per_application.sql", ["tenant=\(domain)"]).hasPrefix(
                "\(domain)|mobile|\(app.consumer_key)|1|1|"))
        #expect(try await run("distinct_registered_users_per_tenant.sql").contains("\(domain)|1\n"))
        #expect(try await run("new_registered_users_per_day.sql", ["tenant=\(domain)"]).hasSuffix("|mobile|1\n"))
        #expect(try await run("active_users_last_n_days.sql", ["days=7"]).contains("\(domain)|1\n"))
        #expect(
            try await run("top_applications_by_registered_users.sql", ["limit=1000"]).contains(
                "\(domain)|mobile|\(app.consumer_key)|1\n"))

        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        // The console's daily counts, written at the latest when the server stops: three tokens, two sign-ins refused.
        #expect(
            try await run("tokens_per_day.sql", ["tenant=\(domain)"]).hasSuffix("|mobile|\(app.consumer_key)|3|2\n"))
        let logText = try String(contentsOf: log, encoding: .utf8)
        #expect(!logText.contains(password) && !logText.contains(encoded))
        let dump = try await TesseraBinary.psql(
            "SELECT coalesce(string_agg(u::text, '|'), '') FROM users u", databaseURL: database)
        #expect(!dump.contains(password))
    }
}
