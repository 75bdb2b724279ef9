import Foundation
import Testing

/// `app rotate-secret --grace` and `app secrets` through the binary, against a running server (issue 14).
@Suite("Secret rotation, end to end")
struct SecretRotationEndToEndTests {
    struct Rotated: Decodable {
        let consumer_key: String
        let consumer_secret: String
        let previous_secret_expires_at: String?
    }

    @Test("--grace keeps the old secret working beside the new one; a rotation without it stops both old ones")
    func rotateWithGrace() async throws {
        let database = try TesseraBinary.databaseURL()
        let (domain, app) = try await TesseraBinary.tenantWithApplication("rotate", databaseURL: database)
        let key = app.consumer_key
        let target = ["--tenant", domain, "--consumer-key", key]

        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-rotate-\(port).log")
        let server = try TesseraBinary.serve(["--port", "\(port)"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()
        let path = "/t/\(domain)/token"
        func status(_ secret: String) async throws -> Int {
            try await client.post(path, form: "grant_type=client_credentials", key: key, secret: secret).status
        }
        /// The server hears of a change within a second (the change feed); what it answers settles by then.
        func settles(_ secret: String, to expected: Int) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if try await status(secret) == expected { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        #expect(try await status(app.consumer_secret) == 200)

        for refused in [
            ["--grace", "31d"], ["--grace", "5x"], ["--grace", "-1h"], ["--grace", "1h", "--revoke-tokens"],
        ] {
            let result = try await TesseraBinary.run(
                ["app", "rotate-secret"] + target + refused, databaseURL: database)
            #expect(result.status != 0, "\(refused) was accepted")
            #expect(result.error.contains("--grace") || result.error.contains("--revoke-tokens"), "\(result.error)")
        }
        #expect(try await status(app.consumer_secret) == 200, "a refused rotation changed the secret")

        let rotated = try await TesseraBinary.run(
            ["app", "rotate-secret"] + target + ["--grace", "24h", "--json"], databaseURL: database)
        try #require(rotated.status == 0, "rotate-secret: \(rotated.error)")
        let rotation = try JSONDecoder().decode(Rotated.self, from: Data(rotated.output.utf8))
        let expiry = try #require(rotation.previous_secret_expires_at.flatMap { try? Date($0, strategy: .iso8601) })
        #expect(abs(expiry.timeIntervalSinceNow - 86_400) < 60)
        #expect(try await settles(rotation.consumer_secret, to: 200))
        #expect(try await status(app.consumer_secret) == 200, "the old secret stopped during its grace period")

        let listed = try await TesseraBinary.run(["app", "secrets"] + target + ["--json"], databaseURL: database)
        #expect(listed.status == 0)
        let records = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        #expect(records.map { $0["secret"] as? String } == ["current", "previous"])
        #expect(records.last?["expires_at"] as? String == rotation.previous_secret_expires_at)
        let table = try await TesseraBinary.run(["app", "secrets"] + target, databaseURL: database)
        for output in [listed.output, table.output] {
            #expect(!output.contains(app.consumer_secret) && !output.contains(rotation.consumer_secret))
        }

        let final = try await TesseraBinary.run(["app", "rotate-secret"] + target + ["--json"], databaseURL: database)
        try #require(final.status == 0, "rotate-secret: \(final.error)")
        let last = try JSONDecoder().decode(Rotated.self, from: Data(final.output.utf8))
        #expect(last.previous_secret_expires_at == nil)
        #expect(try await settles(app.consumer_secret, to: 401))
        #expect(try await status(rotation.consumer_secret) == 401)
        #expect(try await status(last.consumer_secret) == 200)

        server.terminate()
        server.waitUntilExit()
        let logText = try String(contentsOf: log, encoding: .utf8)
        for secret in [app.consumer_secret, rotation.consumer_secret, last.consumer_secret] {
            #expect(!logText.contains(secret))
        }
    }
}
