import Foundation
import Testing

/// JWT access tokens through the binary, verified by PyJWT against the served key set (Tests/jose/
/// verify_access_token.py), across a key rotation and a retirement (issue 13).
@Suite("JWT access tokens, end to end", .timeLimit(.minutes(3)))
struct JWTAccessTokenEndToEndTests {
    static let api = "https://api.acme.test"
    static let mcp = "https://mcp.acme.test"
    static let reports = "https://reports.acme.test"

    /// PyJWT's verdict: the token's header and claims, or the reason it does not verify.
    static func verify(_ token: String, port: Int, domain: String, audience: String) async throws
        -> (header: [String: Any], claims: [String: Any])
    {
        let printed = try await PythonScript.run(
            "verify_access_token.py",
            [
                token, "http://127.0.0.1:\(port)/t/\(domain)/jwks", "http://127.0.0.1:\(port)/t/\(domain)", audience,
            ])
        let object = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        return (try #require(object["header"] as? [String: Any]), try #require(object["claims"] as? [String: Any]))
    }

    @Test("PyJWT verifies typ, iss, aud, exp and the signature; resources narrow; a retired key's tokens still verify")
    func verifiedByPyJWT() async throws {
        let database = try TesseraBinary.databaseURL()
        let (domain, app) = try await TesseraBinary.tenantWithApplication(
            "jwt", databaseURL: database,
            appOptions: [
                "--token-format", "jwt", "--resources", "\(Self.api),\(Self.mcp),\(Self.reports)", "--grant-types",
                "client_credentials,password,refresh_token", "--scopes", "default read",
            ])
        let user = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "ada", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: "correct horse battery")
        #expect(user.status == 0, "\(user.error)")
        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-jwt-\(port).log")
        // The issuer is the public URL: the verifier reaches the server at the same address.
        let server = try TesseraBinary.serve(
            ["--port", "\(port)", "--public-url", "http://127.0.0.1:\(port)"], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()
        let tokenPath = "/t/\(domain)/token"
        func token(_ form: String) async throws -> TokenClient.Answer {
            try await client.post(tokenPath, form: form, key: app.consumer_key, secret: app.consumer_secret)
        }

        // Client credentials for one resource: aud is that resource, sub and client_id the consumer key.
        let narrow = try await token("grant_type=client_credentials&scope=read&resource=https%3A%2F%2Fapi.acme.test")
        #expect(narrow.status == 200, "\(narrow.text)")
        let narrowToken = try #require(narrow.json["access_token"] as? String)
        let verified = try await Self.verify(narrowToken, port: port, domain: domain, audience: Self.api)
        #expect(verified.header["typ"] as? String == "at+jwt")
        #expect(verified.header["alg"] as? String == "ES256")
        #expect(verified.claims["aud"] as? String == Self.api)
        #expect(verified.claims["sub"] as? String == app.consumer_key)
        #expect(verified.claims["client_id"] as? String == app.consumer_key)
        #expect(verified.claims["scope"] as? String == "read")
        #expect(Set(verified.claims.keys) == ["iss", "sub", "aud", "client_id", "iat", "exp", "jti", "scope"])
        // Another audience does not verify.
        await #expect(throws: PythonScript.Failure.self) {
            _ = try await Self.verify(narrowToken, port: port, domain: domain, audience: Self.mcp)
        }
        // No resource: every resource of the application.
        let both = try await token("grant_type=client_credentials")
        let bothClaims = try await Self.verify(
            try #require(both.json["access_token"] as? String), port: port, domain: domain, audience: Self.mcp
        ).claims
        #expect(bothClaims["aud"] as? [String] == [Self.api, Self.mcp, Self.reports])
        for (form, why) in [
            ("grant_type=client_credentials&resource=https%3A%2F%2Fother.test", "unknown"),
            ("grant_type=client_credentials&resource=%2Fapi", "relative"),
            ("grant_type=client_credentials&resource=https%3A%2F%2Fapi.acme.test%23top", "fragment"),
        ] {
            let refused = try await token(form)
            #expect(refused.status == 400 && refused.json["error"] as? String == "invalid_target", "\(why)")
        }

        // Password grant for two resources, then a refresh that narrows them and one that asks for a resource the
        // application has but the sign-in was not granted.
        let signedIn = try await token(
            "grant_type=password&username=ada&password=correct+horse+battery&resource=https%3A%2F%2Fapi.acme.test"
                + "&resource=https%3A%2F%2Fmcp.acme.test")
        #expect(signedIn.status == 200, "\(signedIn.text)")
        let userClaims = try await Self.verify(
            try #require(signedIn.json["access_token"] as? String), port: port, domain: domain, audience: Self.api
        ).claims
        #expect(userClaims["sub"] as? String != nil && userClaims["sub"] as? String != "ada", "a stable user id")
        let refresh = try #require(signedIn.json["refresh_token"] as? String)
        let narrowed = try await token(
            "grant_type=refresh_token&refresh_token=\(refresh)&resource=https%3A%2F%2Fmcp.acme.test")
        #expect(narrowed.status == 200, "\(narrowed.text)")
        let narrowedClaims = try await Self.verify(
            try #require(narrowed.json["access_token"] as? String), port: port, domain: domain, audience: Self.mcp
        ).claims
        #expect(narrowedClaims["aud"] as? String == Self.mcp)
        let next = try #require(narrowed.json["refresh_token"] as? String)
        let widened = try await token(
            "grant_type=refresh_token&refresh_token=\(next)&resource=https%3A%2F%2Freports.acme.test")
        #expect(widened.status == 400 && widened.json["error"] as? String == "invalid_target")

        // Introspection and revocation work for JWTs as for opaque tokens.
        let introspected = try await client.post(
            "/t/\(domain)/introspect", form: "token=\(narrowToken)", key: app.consumer_key,
            secret: app.consumer_secret)
        #expect(introspected.json["active"] as? Bool == true && introspected.json["aud"] as? String == Self.api)
        _ = try await client.post(
            "/t/\(domain)/revoke", form: "token=\(narrowToken)", key: app.consumer_key, secret: app.consumer_secret)
        let revoked = try await client.post(
            "/t/\(domain)/introspect", form: "token=\(narrowToken)", key: app.consumer_key,
            secret: app.consumer_secret)
        #expect(revoked.json["active"] as? Bool == false)

        // The key set: cacheable for its max-age, with an ETag that answers 304.
        let keySet = try await client.get("/t/\(domain)/jwks")
        #expect(keySet.status == 200)
        #expect(keySet.headers["content-type"] == "application/jwk-set+json")
        #expect(keySet.headers["cache-control"] == "public, max-age=3600")
        let etag = try #require(keySet.headers["etag"])
        let keys = try #require(keySet.json["keys"] as? [[String: Any]])
        #expect(keys.count == 1 && keys[0]["d"] == nil && keys[0]["use"] as? String == "sig")
        let firstKid = try #require(keys[0]["kid"] as? String)
        #expect(verified.header["kid"] as? String == firstKid)
        #expect(try await client.get("/t/\(domain)/jwks", headers: ["If-None-Match: \(etag)"]).status == 304)
        #expect(try await client.get("/t/nosuch-\(UInt32.random(in: 0...UInt32.max)).test/jwks").status == 404)
        let metadata = try await client.get("/t/\(domain)/.well-known/oauth-authorization-server")
        #expect(metadata.json["jwks_uri"] as? String == "http://127.0.0.1:\(port)/t/\(domain)/jwks")

        // Rotation: the next key is published at once and does not sign yet.
        let rotated = try await TesseraBinary.run(["key", "rotate", "--tenant", domain], databaseURL: database)
        #expect(rotated.status == 0, "\(rotated.error)")
        let listed = try await TesseraBinary.run(["key", "list", "--tenant", domain, "--json"], databaseURL: database)
        let states = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        #expect(states.compactMap { $0["state"] as? String }.sorted() == ["active", "next"])
        let afterRotation = try await token("grant_type=client_credentials")
        let afterRotationHeader = try await Self.verify(
            try #require(afterRotation.json["access_token"] as? String), port: port, domain: domain,
            audience: Self.api
        ).header
        #expect(afterRotationHeader["kid"] as? String == firstKid, "the next key does not sign yet")
        #expect(try await TesseraBinary.run(["key", "rotate", "--tenant", domain], databaseURL: database).status == 1)

        // Retiring the signer (a leaked key): the waiting key signs at once; the retired key stays published, so
        // a token it signed still verifies.
        let retired = try await TesseraBinary.run(
            ["key", "retire", "--tenant", domain, "--kid", firstKid], databaseURL: database)
        #expect(retired.status == 0, "\(retired.error)")
        try await Task.sleep(for: .milliseconds(500))  // the change feed
        let afterRetirement = try await token("grant_type=client_credentials")
        let newHeader = try await Self.verify(
            try #require(afterRetirement.json["access_token"] as? String), port: port, domain: domain,
            audience: Self.api
        ).header
        #expect(newHeader["kid"] as? String != firstKid)
        _ = try await Self.verify(
            try #require(both.json["access_token"] as? String), port: port, domain: domain, audience: Self.api)

        // A copy of the database cannot sign: no private key in clear, and a server with another key cannot open
        // them.
        let stored = try await TesseraBinary.psql(
            "SELECT public_jwk FROM signing_keys s JOIN tenants t USING (tenant_id) WHERE t.domain = '\(domain)'",
            databaseURL: database)
        #expect(!stored.contains("\"d\""))
        let otherPort = try TesseraBinary.freePort()
        let otherLog = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-jwt-\(otherPort).log")
        let otherKey = try await TesseraBinary.run(["token", "generate-key"], databaseURL: nil).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try TesseraBinary.serve(
            ["--port", "\(otherPort)"], databaseURL: database, log: otherLog, environment: ["TESSERA_KEY": otherKey])
        defer { if other.isRunning { other.terminate() } }
        let otherClient = TokenClient(port: otherPort)
        try await otherClient.waitUntilServing()
        let unsigned = try await otherClient.post(
            tokenPath, form: "grant_type=client_credentials", key: app.consumer_key, secret: app.consumer_secret)
        #expect(unsigned.status == 503 && unsigned.json["error"] as? String == "temporarily_unavailable")
        other.terminate()
        server.terminate()
    }
}
