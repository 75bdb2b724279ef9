import Foundation
import TesseraTesting
import Testing

/// private_key_jwt through the binary, with assertions signed by PyJWT (Tests/jose/client_assertion.py): a client
/// holding only a private key gets tokens, and an assertion used on one instance is refused on another (issue 14).
@Suite("private_key_jwt, end to end", .timeLimit(.minutes(3)))
struct PrivateKeyJWTEndToEndTests {
    static let publicURL = "https://auth.tessera.test"

    /// Tests/jose/client_assertion.py's output for `arguments`, trimmed.
    static func jose(_ arguments: [String]) async throws -> String {
        String(decoding: try await PythonScript.run("client_assertion.py", arguments), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func form(_ assertion: String, _ rest: String = "grant_type=client_credentials") -> String {
        rest + "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
            + "&client_assertion=\(assertion)"
    }

    @Test("ES256, EdDSA, RS256 and PS256 assertions from PyJWT get tokens; a replay on the second instance is refused")
    func pyJWTOnTwoInstances() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "pkjwt-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)

        let ports = [try TesseraBinary.freePort(), try TesseraBinary.freePort()]
        let servers = try ports.map { port in
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-pkjwt-\(port).log")
            return try TesseraBinary.serve(
                ["--port", "\(port)", "--public-url", Self.publicURL], databaseURL: database, log: log)
        }
        defer { for server in servers where server.isRunning { server.terminate() } }
        let clients = ports.map { TokenClient(port: $0) }
        for client in clients { try await client.waitUntilServing() }
        let token = "/t/\(domain)/token"
        let audience = "\(Self.publicURL)/t/\(domain)"

        let metadata = try await clients[0].get("/.well-known/oauth-authorization-server/t/\(domain)")
        #expect(
            (metadata.json["token_endpoint_auth_methods_supported"] as? [String])?.contains("private_key_jwt") == true)
        #expect(
            metadata.json["token_endpoint_auth_signing_alg_values_supported"] as? [String] == [
                "ES256", "EdDSA", "RS256", "PS256",
            ])

        for algorithm in ["ES256", "EdDSA", "RS256", "PS256"] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tessera-pkjwt-\(algorithm)-\(UInt32.random(in: 0...UInt32.max))")
            defer { try? FileManager.default.removeItem(at: folder) }
            _ = try await Self.jose(["keygen", algorithm, folder.path])
            let created = try await TesseraBinary.run(
                [
                    "app", "create", "--tenant", domain, "--name", "worker-\(algorithm)", "--auth-method",
                    "private_key_jwt", "--jwks-file", folder.appendingPathComponent("jwks.json").path, "--json",
                ], databaseURL: database)
            try #require(created.status == 0, "app create: \(created.error)")
            let app = try #require(try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any])
            #expect(app["consumer_secret"] == nil, "a client with only private_key_jwt is shown no secret")
            let key = try #require(app["consumer_key"] as? String)
            func assertion(_ extra: [String] = []) async throws -> String {
                try await Self.jose(["sign", algorithm, folder.path, key, audience] + extra)
            }

            let first = try await assertion()
            let issued = try await clients[0].post(token, form: Self.form(first))
            #expect(issued.status == 200, "\(algorithm): \(issued.text)")
            let replayed = try await clients[1].post(token, form: Self.form(first))
            #expect(replayed.status == 401 && replayed.json["error"] as? String == "invalid_client", "\(algorithm)")
            let again = try await clients[1].post(token, form: Self.form(try await assertion()))
            #expect(again.status == 200, "\(algorithm): \(again.text)")

            // Introspection authenticates the same way, with a new assertion (one per request).
            let accessToken = try #require(issued.json["access_token"] as? String)
            let introspected = try await clients[1].post(
                "/t/\(domain)/introspect", form: Self.form(try await assertion(), "token=\(accessToken)"))
            #expect(introspected.status == 200 && introspected.json["active"] as? Bool == true, "\(introspected.text)")

            for (refused, why) in [
                (try await assertion(["--lifetime", "3600"]), "exp an hour ahead"),
                (try await assertion(["--kid", "unknown"]), "an unknown kid"),
                (try await Self.jose(["sign", algorithm, folder.path, key, "https://elsewhere.test"]), "another aud"),
            ] {
                let answer = try await clients[0].post(token, form: Self.form(refused))
                #expect(answer.status == 401, "\(algorithm), \(why): \(answer.text)")
            }
        }
        for server in servers {
            server.terminate()
            server.waitUntilExit()
        }
    }

    @Test("set-auth keeps the registered keys while private_key_jwt stays allowed, and drops them with it")
    func setAuthKeepsKeys() async throws {
        let database = try TesseraBinary.databaseURL()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tessera-setauth-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try await Self.jose(["keygen", "ES256", folder.path])
        let (domain, app) = try await TesseraBinary.tenantWithApplication("setauth", databaseURL: database)
        let target = ["--tenant", domain, "--consumer-key", app.consumer_key]
        func setAuth(_ arguments: [String]) async throws -> TesseraBinary.Result {
            try await TesseraBinary.run(["app", "set-auth"] + target + arguments + ["--json"], databaseURL: database)
        }
        func keyIDs(_ result: TesseraBinary.Result) -> [String]? {
            let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8))
            return (object as? [String: Any])?["key_ids"] as? [String]
        }
        let jwks = folder.appendingPathComponent("jwks.json").path
        let both = try await setAuth(["--auth-method", "client_secret_basic,private_key_jwt", "--jwks-file", jwks])
        #expect(both.status == 0 && keyIDs(both) == ["es256"], "\(both.error)")
        let kept = try await setAuth(["--auth-method", "private_key_jwt"])
        #expect(kept.status == 0 && keyIDs(kept) == ["es256"], "\(kept.error)")
        let secrets = try await setAuth(["--auth-method", "client_secret_basic"])
        #expect(secrets.status == 0 && keyIDs(secrets) == [], "\(secrets.error)")
        let refused = try await setAuth(["--auth-method", "private_key_jwt"])
        #expect(refused.status == 1 && refused.error.contains("--jwks-file"), "\(refused.error)")
        let unknown = try await setAuth(["--auth-method", "client_secret_jwt"])
        #expect(unknown.status == 1 && unknown.error.contains("unknown authentication method"), "\(unknown.error)")
    }

    @Test(
        "jwks_uri: the server fetches the keys a client publishes (CLI and registration), only where it may connect"
    )
    func publishedKeys() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "jwksuri-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        // The client's web server: Tests/fetch/serve.py serves the key folder at /file/<name>.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tessera-jwksuri-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try await Self.jose(["keygen", "ES256", folder.path])
        let publisher = try await offThePool { try PublishingServer(folder: folder) }
        defer { publisher.stop() }
        let jwksURI = publisher.http("/file/jwks.json")

        let (port, strictPort) = (try TesseraBinary.freePort(), try TesseraBinary.freePort())
        let logs = [port, strictPort].map {
            FileManager.default.temporaryDirectory.appendingPathComponent("tessera-jwksuri-\($0).log")
        }
        // Loopback is a private address: one server may fetch from it (as in development), the other may not.
        let servers = [
            try TesseraBinary.serve(
                ["--port", "\(port)", "--public-url", Self.publicURL, "--fetch-allowed-hosts", "127.0.0.1"],
                databaseURL: database, log: logs[0]),
            try TesseraBinary.serve(
                ["--port", "\(strictPort)", "--public-url", Self.publicURL], databaseURL: database, log: logs[1]),
        ]
        defer { for server in servers where server.isRunning { server.terminate() } }
        let (client, strict) = (TokenClient(port: port), TokenClient(port: strictPort))
        try await client.waitUntilServing()
        try await strict.waitUntilServing()
        let audience = "\(Self.publicURL)/t/\(domain)"

        let created = try await TesseraBinary.run(
            [
                "app", "create", "--tenant", domain, "--name", "published", "--auth-method", "private_key_jwt",
                "--jwks-uri", jwksURI, "--json",
            ], databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let app = try #require(try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any])
        let key = try #require(app["consumer_key"] as? String)
        #expect(app["jwks_uri"] as? String == jwksURI, "\(created.output)")
        let issued = try await client.post(
            "/t/\(domain)/token", form: Self.form(try await Self.jose(["sign", "ES256", folder.path, key, audience])))
        #expect(issued.status == 200, "\(issued.text)")
        let refused = try await strict.post(
            "/t/\(domain)/token", form: Self.form(try await Self.jose(["sign", "ES256", folder.path, key, audience])))
        #expect(refused.status == 401 && refused.json["error"] as? String == "invalid_client", "\(refused.text)")
        let bad = try await TesseraBinary.run(
            [
                "app", "create", "--tenant", domain, "--name", "bad", "--auth-method", "private_key_jwt",
                "--jwks-uri", "http://agent.example/jwks.json",
            ], databaseURL: database)
        #expect(bad.status == 1 && bad.error.contains("https"), "\(bad.error)")

        // A client registering itself names its jwks_uri the same way (RFC 7591).
        let made = try await TesseraBinary.run(
            ["app", "registration-token", "--tenant", domain, "--json"], databaseURL: database)
        let initial = try #require(
            (try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])?["token"] as? String)
        let registered = try await client.request(
            "POST", "/t/\(domain)/register",
            headers: ["Authorization: Bearer \(initial)", "Content-Type: application/json"],
            body: #"{"client_name":"agent","token_endpoint_auth_method":"private_key_jwt","jwks_uri":"\#(jwksURI)"}"#)
        #expect(registered.status == 201 && registered.json["jwks_uri"] as? String == jwksURI, "\(registered.text)")
        #expect(registered.json["client_secret"] == nil)
        let registeredKey = try #require(registered.json["client_id"] as? String)
        let agent = try await client.post(
            "/t/\(domain)/token",
            form: Self.form(try await Self.jose(["sign", "ES256", folder.path, registeredKey, audience])))
        #expect(agent.status == 200, "\(agent.text)")
    }

    @Test("a --fetch-ca-file that is not PEM certificates stops the start with one line naming it")
    func unreadableFetchCAFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tessera-not-a-ca-\(UInt32.random(in: 0...UInt32.max)).pem")
        try Data("not a certificate".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await TesseraBinary.run(
            ["serve", "--port", "\(try TesseraBinary.freePort())", "--https-port", "0", "--fetch-ca-file", file.path],
            databaseURL: try await TesseraBinary.migratedDatabaseURL())
        #expect(result.status != 0)
        let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(lines.count == 1 && lines.first?.contains("--fetch-ca-file") == true, "\(result.error)")
    }
}
