import Foundation
import Testing

/// An operator changes a running application's scopes and token format with the CLI, and the server follows
/// through the change feed, without a restart.
@Suite("Application settings, end to end", .timeLimit(.minutes(2)))
struct ApplicationSettingsEndToEndTests {
    @Test("set-scopes lets issue 13's example ask for read; set-tokens switches the format; bad input is refused")
    func scopesAndFormatChange() async throws {
        let database = try TesseraBinary.databaseURL()
        // Issue 13's `app create`, verbatim but for the tenant: no --scopes, so only `default` is allowed.
        let (domain, app) = try await TesseraBinary.tenantWithApplication(
            "settings", databaseURL: database,
            appOptions: ["--token-format", "jwt", "--resources", "https://api.acme.test,https://mcp.acme.test"])
        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-settings-\(port).log")
        let server = try TesseraBinary.serve(["--port", "\(port)"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()
        let form = "grant_type=client_credentials&scope=read&resource=https%3A%2F%2Fapi.acme.test"
        func token() async throws -> TokenClient.Answer {
            try await client.post("/t/\(domain)/token", form: form, key: app.consumer_key, secret: app.consumer_secret)
        }
        /// The answer once the server has seen the change: the feed delivers it within about a second.
        func eventually(_ done: (TokenClient.Answer) -> Bool) async throws -> TokenClient.Answer {
            var answer = try await token()
            for _ in 0..<50 where !done(answer) {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await token()
            }
            return answer
        }
        let target = ["--tenant", domain, "--consumer-key", app.consumer_key]

        let refused = try await token()
        #expect(refused.status == 400 && refused.json["error"] as? String == "invalid_scope", "\(refused.text)")
        #expect((refused.json["error_description"] as? String)?.contains("read") == true, "\(refused.text)")

        // The defaults (`default`) are not among `read` alone: refused, nothing written.
        let notAmong = try await TesseraBinary.run(
            ["app", "set-scopes"] + target + ["--scopes", "read"], databaseURL: database)
        #expect(notAmong.status == 1 && notAmong.error.contains("default scope default"), "\(notAmong.error)")
        let malformed = try await TesseraBinary.run(
            ["app", "set-scopes"] + target + ["--scopes", "read \"write\""], databaseURL: database)
        #expect(malformed.status == 1 && malformed.error.contains("printable ASCII"), "\(malformed.error)")
        let unknown = try await TesseraBinary.run(
            ["app", "set-scopes", "--tenant", domain, "--consumer-key", "nope", "--scopes", "read"],
            databaseURL: database)
        #expect(unknown.status == 1 && !unknown.error.isEmpty, "\(unknown.error)")
        #expect(try await token().status == 400, "a refused change wrote nothing")

        let set = try await TesseraBinary.run(
            ["app", "set-scopes"] + target + ["--scopes", "default read", "--json"], databaseURL: database)
        #expect(set.status == 0, "\(set.error)")
        let record = try JSONSerialization.jsonObject(with: Data(set.output.utf8)) as? [String: Any]
        #expect(record?["scopes"] as? [String] == ["default", "read"], "\(set.output)")
        let granted = try await eventually { $0.status == 200 }
        #expect(granted.status == 200 && granted.json["scope"] as? String == "read", "\(granted.text)")
        #expect((granted.json["access_token"] as? String)?.hasPrefix("eyJ") == true, "a JWT, as the app was made")

        let opaque = try await TesseraBinary.run(
            ["app", "set-tokens"] + target + ["--token-format", "opaque"], databaseURL: database)
        #expect(opaque.status == 0, "\(opaque.error)")
        let switched = try await eventually { ($0.json["access_token"] as? String)?.hasPrefix("tsr_at_") == true }
        #expect(switched.status == 200, "\(switched.text)")
        #expect((switched.json["access_token"] as? String)?.hasPrefix("tsr_at_") == true, "\(switched.text)")
    }
}
