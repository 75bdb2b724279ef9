import Foundation
import Testing

/// Issue 16's journey through the binary: `tessera admin create-client`, a token from `/token`, then the admin API
/// with that token, a tenant administrator kept to its tenant, refusals as problems, and the audit trail.
@Suite("Admin API, end to end", .timeLimit(.minutes(3)))
struct AdminAPIEndToEndTests {
    @Test(
        "create-client, /token, tenants and applications; a tenant admin reaches its tenant only; the audit names the client"
    )
    func journey() async throws {
        let session = try await AdminSession.start("admin")
        defer { session.stop() }
        let (database, suffix, client, platform) = (
            session.database, session.suffix, session.client, session.platform
        )
        func call(_ method: String, _ path: String, _ body: String? = nil, bearer: String? = nil) async throws
            -> TokenClient.Answer
        {
            try await session.call(method, path, body, bearer: bearer)
        }

        let domain = "beta-\(suffix).example"
        let created = try await call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#)
        #expect(created.status == 201 && created.json["domain"] as? String == domain, "\(created.text)")
        #expect(created.headers["cache-control"] == "no-store")
        let again = try await call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#)
        #expect(again.status == 409 && again.headers["content-type"] == "application/problem+json", "\(again.text)")
        #expect(again.json["detail"] as? String == "tenant \(domain) already exists", "the CLI's reason")
        let empty = try await call("GET", "/admin/v1/tenants/\(domain)/applications")
        #expect(empty.status == 200 && (empty.json["applications"] as? [Any])?.isEmpty == true, "\(empty.text)")

        // An application made through the API works at the token endpoint with the secret it was answered.
        let app = try await call(
            "POST", "/admin/v1/tenants/\(domain)/applications",
            #"{"name":"agent","scopes":["default","read"],"token_format":"jwt","resources":["https://api.beta.test"]}"#)
        #expect(app.status == 201, "\(app.text)")
        let application = try #require(app.json["application"] as? [String: Any], "\(app.text)")
        let key = try #require(application["consumer_key"] as? String)
        let secret = try #require(app.json["consumer_secret"] as? String)
        #expect(
            application["scopes"] as? [String] == ["default", "read"] && application["token_format"] as? String == "jwt"
        )
        let used = try await client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials&scope=read", key: key, secret: secret)
        #expect(used.status == 200 && (used.json["access_token"] as? String)?.hasPrefix("eyJ") == true, "\(used.text)")
        let badGrant = try await call(
            "POST", "/admin/v1/tenants/\(domain)/applications", #"{"name":"x","grant_types":["implicit"]}"#)
        #expect(badGrant.status == 400, "\(badGrant.text)")
        #expect((badGrant.json["detail"] as? String)?.hasPrefix("unknown grant type implicit (supported:") == true)
        let notJSON = try await call("POST", "/admin/v1/tenants/\(domain)/applications", "{\"name\":")
        #expect(
            notJSON.status == 400 && notJSON.headers["content-type"] == "application/problem+json", "\(notJSON.text)")
        let wrongType = try await call("POST", "/admin/v1/tenants/\(domain)/applications", #"{"name":7}"#)
        #expect(wrongType.status == 400 && (wrongType.json["detail"] as? String)?.contains("name") == true)
        let huge = try await call(
            "POST", "/admin/v1/tenants/\(domain)/applications",
            #"{"name":"\#(String(repeating: "x", count: 200_000))"}"#)
        // Refused by the connection guard before any route, as a problem all the same.
        #expect(huge.status == 413 && huge.headers["content-type"] == "application/problem+json", "\(huge.text)")
        // Unknown paths and methods under /admin/ are problems too, like every other answer there.
        for (method, unknown) in [
            ("GET", "/admin/v1/nothing-here"), ("DELETE", "/admin/v1/tenants"), ("GET", "/admin/"),
        ] {
            let answer = try await call(method, unknown)
            #expect(
                [404, 405].contains(answer.status) && answer.headers["content-type"] == "application/problem+json"
                    && answer.json["status"] as? Int == answer.status,
                "\(method) \(unknown): \(answer.status) \(answer.text)")
        }
        // Rotation with a grace period: both secrets work, the secrets list shows the old one's expiry.
        let path = "/admin/v1/tenants/\(domain)/applications/\(key)"
        let leaked = try await call("POST", "\(path)/rotate-secret", #"{"grace_seconds":3600,"revoke_tokens":true}"#)
        #expect(leaked.status == 400 && (leaked.json["detail"] as? String)?.contains("leaked") == true)
        let rotated = try await call("POST", "\(path)/rotate-secret", #"{"grace_seconds":3600}"#)
        let newSecret = try #require(rotated.json["consumer_secret"] as? String, "\(rotated.text)")
        #expect(rotated.json["previous_secret_expires_at"] is String, "\(rotated.text)")
        let secrets = try await call("GET", "\(path)/secrets")
        #expect(
            (secrets.json["secrets"] as? [[String: Any]])?.compactMap { $0["secret"] as? String } == [
                "current", "previous",
            ])
        for candidate in [secret, newSecret] {
            let answer = try await client.post(
                "/t/\(domain)/token", form: "grant_type=client_credentials", key: key, secret: candidate)
            #expect(answer.status == 200, "\(answer.text)")
        }
        // Settings of a running application, as set-scopes, set-tokens and set-auth change them.
        let narrowed = try await call("PUT", "\(path)/scopes", #"{"scopes":["default","write"]}"#)
        #expect(
            narrowed.status == 200 && narrowed.json["scopes"] as? [String] == ["default", "write"], "\(narrowed.text)")
        let outside = try await call("PUT", "\(path)/scopes", #"{"scopes":["write"]}"#)
        #expect(outside.status == 400 && (outside.json["detail"] as? String)?.contains("default scope") == true)
        let resources = try await call(
            "PUT", "\(path)/tokens", #"{"resources":["https://api.beta.test","https://b.beta.test"]}"#)
        #expect(resources.json["resources"] as? [String] == ["https://api.beta.test", "https://b.beta.test"])
        #expect(resources.json["token_format"] as? String == "jwt", "left out, the format stays: \(resources.text)")
        let relative = try await call("PUT", "\(path)/tokens", #"{"resources":["api"]}"#)
        #expect(relative.status == 400, "\(relative.text)")
        let keyless = try await call("PUT", "\(path)/authentication", #"{"auth_methods":["private_key_jwt"]}"#)
        #expect(keyless.status == 400 && (keyless.json["detail"] as? String)?.contains("public keys") == true)
        let postOnly = try await call("PUT", "\(path)/authentication", #"{"auth_methods":["client_secret_post"]}"#)
        #expect(postOnly.json["auth_methods"] as? [String] == ["client_secret_post"], "\(postOnly.text)")
        // Every server follows through the change feed, within about a second.
        var basicRefused = 0
        for _ in 0..<50 {
            basicRefused = try await client.post(
                "/t/\(domain)/token", form: "grant_type=client_credentials", key: key, secret: newSecret
            ).status
            if basicRefused == 401 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(basicRefused == 401, "Basic is no longer allowed")
        let basicAgain = try await call("PUT", "\(path)/authentication", "{}")
        #expect(basicAgain.json["auth_methods"] as? [String] == ["client_secret_basic", "client_secret_post"])

        let disabled = try await call("POST", "\(path)/disable")
        #expect(disabled.status == 200 && disabled.json["enabled"] as? Bool == false, "\(disabled.text)")
        let enabled = try await call("POST", "\(path)/enable")
        #expect(enabled.status == 200 && enabled.json["enabled"] as? Bool == true, "\(enabled.text)")
        let page = try await call("GET", "/admin/v1/tenants?limit=1")
        #expect((page.json["tenants"] as? [Any])?.count == 1 && page.json["next"] is String, "\(page.text)")
        let tooMany = try await call("GET", "/admin/v1/tenants?limit=501")
        #expect(tooMany.status == 400, "\(tooMany.text)")
        let unknownApp = try await call("GET", "/admin/v1/tenants/\(domain)/applications/nope")
        #expect(unknownApp.status == 404, "\(unknownApp.text)")

        // A tenant administrator: its own tenant only.
        let tenantMade = try await TesseraBinary.run(
            ["admin", "create-client", "--tenant", domain, "--name", "ops", "--json"], databaseURL: database)
        try #require(tenantMade.status == 0, "\(tenantMade.error)")
        let ops = try JSONDecoder().decode(TesseraBinary.CreatedApplication.self, from: Data(tenantMade.output.utf8))
        let opsIssued = try await client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials&scope=tessera:tenant-admin",
            key: ops.consumer_key, secret: ops.consumer_secret)
        let opsToken = try #require(opsIssued.json["access_token"] as? String, "\(opsIssued.text)")
        let own = try await call("GET", "/admin/v1/tenants/\(domain)/applications", bearer: opsToken)
        #expect(own.status == 200 && (own.json["applications"] as? [Any])?.count == 2, "\(own.text)")
        // Its token is looked up in the tenant the path names: a path of no tenant finds it nowhere.
        let listAll = try await call("GET", "/admin/v1/tenants", bearer: opsToken)
        #expect(listAll.status == 401, "\(listAll.text)")
        let showOwn = try await call("GET", "/admin/v1/tenants/\(domain)", bearer: opsToken)
        #expect(showOwn.status == 200 && showOwn.json["applications"] as? Int == 2, "\(showOwn.text)")
        let disableOwn = try await call("POST", "/admin/v1/tenants/\(domain)/disable", bearer: opsToken)
        #expect(disableOwn.status == 403, "a tenant admin does not switch its tenant off: \(disableOwn.text)")
        #expect(disableOwn.headers["www-authenticate"]?.contains(#"error="insufficient_scope""#) == true)
        let emptyCreate = try await call("POST", "/admin/v1/tenants", "")
        #expect(emptyCreate.status == 400 && (emptyCreate.json["detail"] as? String)?.contains("domain") == true)
        let other = try await call("GET", "/admin/v1/tenants/system/applications", bearer: opsToken)
        #expect(other.status == 401, "another tenant: \(other.text)")
        #expect(other.headers["www-authenticate"]?.contains(#"error="invalid_token""#) == true)

        // A client of the system tenant with tessera:tenant-admin reaches nothing: with it, it could give itself
        // tessera:admin (found in review). The CLI refuses to make one.
        let systemOps = try await call(
            "POST", "/admin/v1/tenants/system/applications",
            #"{"name":"system-ops-\#(suffix)","scopes":["tessera:tenant-admin"],"default_scopes":["tessera:tenant-admin"]}"#
        )
        let systemOpsApp = try #require(systemOps.json["application"] as? [String: Any], "\(systemOps.text)")
        let systemOpsKey = try #require(systemOpsApp["consumer_key"] as? String)
        let systemOpsSecret = try #require(systemOps.json["consumer_secret"] as? String)
        let systemOpsIssued = try await client.post(
            "/token", form: "grant_type=client_credentials", key: systemOpsKey, secret: systemOpsSecret)
        let systemOpsToken = try #require(systemOpsIssued.json["access_token"] as? String, "\(systemOpsIssued.text)")
        let escalation = try await call(
            "PUT", "/admin/v1/tenants/system/applications/\(systemOpsKey)/scopes",
            #"{"scopes":["tessera:admin"]}"#, bearer: systemOpsToken)
        #expect(escalation.status == 403, "\(escalation.text)")
        let refusedCLI = try await TesseraBinary.run(
            ["admin", "create-client", "--tenant", "system", "--name", "x-\(suffix)"], databaseURL: database)
        #expect(refusedCLI.status == 1 && refusedCLI.error.contains("system tenant"), "\(refusedCLI.error)")

        // No token, a token of nobody's: 401 with RFC 6750's challenge.
        let anonymous = try await client.request("GET", "/admin/v1/tenants/\(domain)")
        #expect(anonymous.status == 401 && anonymous.headers["www-authenticate"] == #"Bearer realm="tessera-admin""#)
        let forged = try await call(
            "GET", "/admin/v1/tenants/\(domain)", bearer: "tsr_at_20000.\(String(repeating: "A", count: 43))")
        #expect(forged.status == 401, "\(forged.text)")

        // The system admin revokes the tenant admin's tokens: refused at once, as introspection would.
        let revoked = try await call(
            "POST", "/admin/v1/tenants/\(domain)/applications/\(ops.consumer_key)/revoke-tokens")
        #expect(revoked.status == 204, "\(revoked.text)")
        let afterRevoke = try await call("GET", "/admin/v1/tenants/\(domain)/applications", bearer: opsToken)
        #expect(afterRevoke.status == 401, "\(afterRevoke.text)")

        // The audit trail names the client that acted, through the API and the CLI alike.
        let audit = try await call("GET", "/admin/v1/tenants/\(domain)/audit")
        let events = try #require(audit.json["events"] as? [[String: Any]], "\(audit.text)")
        let actor = "system/\(platform.consumer_key)"
        let byOperation = Dictionary(grouping: events) { $0["operation"] as? String ?? "" }
        #expect(byOperation["tenant.create"]?.first?["actor"] as? String == actor, "\(audit.text)")
        #expect(
            byOperation["app.create"]?.contains {
                $0["actor"] as? String == actor && $0["target"] as? String == "agent"
            } == true)
        #expect(
            byOperation["app.create"]?.contains { $0["actor"] as? String == "cli" && $0["target"] as? String == "ops" }
                == true)
        #expect(byOperation["token.revoke"]?.first?["actor"] as? String == actor)
        let cli = try await TesseraBinary.run(["audit", "--tenant", domain, "--json"], databaseURL: database)
        #expect(cli.status == 0 && cli.output.contains(actor), "\(cli.error)")
        #expect(!audit.text.contains(secret) && !cli.output.contains(secret), "never a secret in the audit")

        // The served document is the committed one, valid OpenAPI 3.1, and the answers above match its schemas.
        let served = try await client.get("/admin/v1/openapi.json")
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/admin-api.openapi.json")
        let committed = try String(contentsOf: docs, encoding: .utf8)
        #expect(served.status == 200 && served.text == committed)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-admin-\(suffix)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var pairs: [String] = []
        for (name, answer) in [
            ("Tenant", created), ("Problem", again), ("ApplicationPage", own), ("CreatedApplication", app),
            ("Problem", disableOwn), ("Problem", listAll), ("Tenant", showOwn), ("SecretRotation", rotated),
            ("Application", disabled), ("TenantPage", page), ("Problem", tooMany), ("Problem", huge),
            ("Application", resources), ("Problem", keyless),
        ] {
            let file = folder.appendingPathComponent("\(pairs.count).json")
            try Data(answer.text.utf8).write(to: file)
            pairs.append("\(name)=\(file.path)")
        }
        let document = folder.appendingPathComponent("openapi.json")
        try Data(served.text.utf8).write(to: document)
        let verdict = try await PythonScript.run("validate.py", [document.path] + pairs, folder: "openapi")
        #expect(String(decoding: verdict, as: UTF8.self).contains("valid"))
    }

    @Test("users with passwords in the body, their registered-user statistics, and the tenant's signing keys")
    func usersStatisticsAndKeys() async throws {
        let session = try await AdminSession.start("admin-users", serve: ["--password-cost", "4"])
        defer { session.stop() }
        let domain = "users-\(session.suffix).example"
        let tenant = "/admin/v1/tenants/\(domain)"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let app = try await session.call(
            "POST", "\(tenant)/applications", #"{"name":"portal","grant_types":["password","client_credentials"]}"#)
        let key = try #require((app.json["application"] as? [String: Any])?["consumer_key"] as? String, "\(app.text)")
        let secret = try #require(app.json["consumer_secret"] as? String)
        func signIn(_ username: String, _ password: String) async throws -> Int {
            try await session.client.post(
                "/t/\(domain)/token", form: "grant_type=password&username=\(username)&password=\(password)", key: key,
                secret: secret
            ).status
        }

        let alice = try await session.call("POST", "\(tenant)/users", #"{"username":"alice","password":"first-pw"}"#)
        #expect(alice.status == 201 && alice.json["username"] as? String == "alice", "\(alice.text)")
        #expect(!alice.text.contains("first-pw") && !alice.text.contains("$2"), "no password, no hash")
        let taken = try await session.call("POST", "\(tenant)/users", #"{"username":"ALICE","password":"x"}"#)
        #expect(taken.status == 409, "names ignore case: \(taken.text)")
        let long = try await session.call(
            "POST", "\(tenant)/users", #"{"username":"bob","password":"\#(String(repeating: "p", count: 73))"}"#)
        #expect(long.status == 400 && long.json["detail"] as? String == "the password must be at most 72 bytes")
        #expect(try await session.call("POST", "\(tenant)/users", #"{"username":"bob","password":"b"}"#).status == 201)
        #expect(try await signIn("alice", "first-pw") == 200)

        let first = try await session.call("GET", "\(tenant)/users?limit=1")
        #expect((first.json["users"] as? [[String: Any]])?.first?["username"] as? String == "alice", "\(first.text)")
        let after = try #require(first.json["next"] as? String)
        let second = try await session.call("GET", "\(tenant)/users?limit=1&after=\(after)")
        #expect((second.json["users"] as? [[String: Any]])?.first?["username"] as? String == "bob", "\(second.text)")
        #expect(second.json["next"] == nil, "the last page: \(second.text)")

        let changed = try await session.call("POST", "\(tenant)/users/alice/password", #"{"password":"second-pw"}"#)
        #expect(changed.status == 204, "\(changed.text)")
        #expect(try await signIn("alice", "first-pw") == 400)
        #expect(try await signIn("alice", "second-pw") == 200)
        let disabled = try await session.call("POST", "\(tenant)/users/alice/disable")
        #expect(disabled.status == 200 && disabled.json["enabled"] as? Bool == false, "\(disabled.text)")
        #expect(try await signIn("alice", "second-pw") == 400)
        #expect(try await session.call("GET", "\(tenant)/users/nobody").status == 404)

        let statistics = try await session.call("GET", "\(tenant)/statistics/registered-users?consumer_key=\(key)")
        let line = try #require((statistics.json["applications"] as? [[String: Any]])?.first, "\(statistics.text)")
        #expect(line["registered_users"] as? Int == 1 && line["consumer_key"] as? String == key, "\(statistics.text)")

        let rotated = try await session.call("POST", "\(tenant)/keys/rotate", #"{"algorithm":"EdDSA"}"#)
        let kid = try #require(rotated.json["kid"] as? String, "\(rotated.text)")
        let listed = try await session.call("GET", "\(tenant)/keys")
        let keys = try #require(listed.json["keys"] as? [[String: Any]], "\(listed.text)")
        #expect(
            keys.contains { $0["kid"] as? String == kid && $0["algorithm"] as? String == "EdDSA" }, "\(listed.text)")
        // The first key of a tenant without a signer signs at once; the next waits to be published long enough,
        // and a third is refused while it waits.
        #expect(keys.first { $0["kid"] as? String == kid }?["state"] as? String == "active", "\(listed.text)")
        let next = try await session.call("POST", "\(tenant)/keys/rotate")
        #expect(next.status == 200, "\(next.text)")
        let third = try await session.call("POST", "\(tenant)/keys/rotate")
        #expect(third.status == 400 && (third.json["detail"] as? String)?.contains("already waiting") == true)
        let retired = try await session.call("POST", "\(tenant)/keys/\(kid)/retire")
        #expect(retired.status == 200, "\(retired.text)")
        let state = (retired.json["keys"] as? [[String: Any]])?.first { $0["kid"] as? String == kid }?["state"]
        #expect(state as? String == "retired", "\(retired.text)")
        #expect(try await session.call("POST", "\(tenant)/keys/nope/retire").status == 404)

        // What the fuzzer found: a NUL character reached PostgreSQL, which refused it, and the 500's log line held
        // the request with its Authorization header.
        let nul = try await session.call(
            "POST", "\(tenant)/applications/\(key)/revoke-tokens", #"{"username":"a\u0000b"}"#)
        #expect(nul.status == 400, "\(nul.text)")
        #expect(try await session.call("GET", "\(tenant)/applications?after=%00").status == 400)
        let logged = try String(contentsOf: session.log, encoding: .utf8)
        #expect(!logged.contains(session.token), "the admin token in the server log")

        let audit = try await session.call("GET", "\(tenant)/audit")
        let operations = (audit.json["events"] as? [[String: Any]])?.compactMap { $0["operation"] as? String } ?? []
        for operation in ["user.create", "user.set-password", "user.disable", "key.rotate", "key.retire"] {
            #expect(operations.contains(operation), "\(operation): \(audit.text)")
        }
        #expect(!audit.text.contains("second-pw"))
    }

    @Test("with --admin-port the admin API is served on that listener alone; the public one answers 404 there")
    func listenerOfItsOwn() async throws {
        let adminPort = try TesseraBinary.freePort()
        let session = try await AdminSession.start("admin-port", serve: ["--admin-port", "\(adminPort)"])
        defer { session.stop() }
        let admin = TokenClient(port: adminPort)
        try await admin.waitUntilServing()
        let headers = ["Authorization: Bearer \(session.token)"]
        let own = try await admin.request("GET", "/admin/v1/tenants?limit=1", headers: headers)
        #expect(own.status == 200 && own.json["tenants"] is [Any], "\(own.text)")
        #expect(try await admin.get("/admin/v1/openapi.json").status == 200)
        #expect(try await admin.get("/health/ready").status == 200)
        let publicAnswer = try await session.call("GET", "/admin/v1/tenants?limit=1")
        #expect(publicAnswer.status == 404, "\(publicAnswer.text)")
        #expect(try await session.client.get("/admin/v1/openapi.json").status == 404)
        let token = try await admin.request("POST", "/token", body: "grant_type=client_credentials")
        #expect(token.status == 404, "no token endpoint on the admin listener: \(token.text)")
    }

    @Test("the resources a tenant protects: declared, renamed, listed and removed by the API and the CLI; refusals")
    func resources() async throws {
        let session = try await AdminSession.start("resources")
        defer { session.stop() }
        let domain = "res-\(session.suffix).example"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let path = "/admin/v1/tenants/\(domain)/resources"
        let added = try await session.call("PUT", path, #"{"uri":"https://mcp.acme.example","name":"Acme tools"}"#)
        #expect(added.status == 200 && added.json["name"] as? String == "Acme tools", "\(added.text)")
        let renamed = try await session.call("PUT", path, #"{"uri":"https://mcp.acme.example","name":"Tools"}"#)
        #expect(renamed.status == 200 && renamed.json["name"] as? String == "Tools")
        let cli = try await TesseraBinary.run(
            ["resource", "add", "--tenant", domain, "https://api.acme.example", "--name", "API", "--json"],
            databaseURL: session.database)
        #expect(cli.status == 0 && cli.output.contains("https://api.acme.example"), "\(cli.error)")
        let listed = try await session.call("GET", path)
        let uris = (listed.json["resources"] as? [[String: Any]])?.compactMap { $0["uri"] as? String }
        #expect(uris == ["https://api.acme.example", "https://mcp.acme.example"], "\(listed.text)")
        for bad in [
            #"{"uri":"https://mcp.acme.example#x","name":"x"}"#, #"{"uri":"not a uri","name":"x"}"#,
            #"{"uri":"https://x.example","name":""}"#,
        ] {
            let refused = try await session.call("PUT", path, bad)
            #expect(refused.status == 400 && refused.headers["content-type"] == "application/problem+json", "\(bad)")
        }
        let encoded = "https%3A%2F%2Fmcp.acme.example"
        #expect(try await session.call("DELETE", "\(path)?uri=\(encoded)").status == 204)
        #expect(try await session.call("DELETE", "\(path)?uri=\(encoded)").status == 404)
        let removed = try await TesseraBinary.run(
            ["resource", "remove", "--tenant", domain, "https://api.acme.example"], databaseURL: session.database)
        #expect(removed.status == 0, "\(removed.error)")
        let empty = try await TesseraBinary.run(
            ["resource", "list", "--tenant", domain, "--json"], databaseURL: session.database)
        #expect(empty.output.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(empty.output)")
        let audit = try await session.call("GET", "/admin/v1/tenants/\(domain)/audit")
        #expect(audit.text.contains("resource.add") && audit.text.contains("resource.remove"))
    }
}

/// A server and an admin client of the system tenant with its token, got as issue 16 shows: `tessera admin
/// create-client`, then the client credentials grant at `/token` with scope tessera:admin.
struct AdminSession {
    let database: String
    let suffix: UInt32
    let server: Process
    let client: TokenClient
    let platform: TesseraBinary.CreatedApplication
    let token: String
    /// The server's log.
    let log: URL

    static func start(_ name: String, serve extra: [String] = []) async throws -> AdminSession {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let suffix = UInt32.random(in: 0...UInt32.max)
        let made = try await TesseraBinary.run(
            ["admin", "create-client", "--name", "\(name)-\(suffix)", "--json"], databaseURL: database)
        try #require(made.status == 0, "\(made.error)")
        let platform = try JSONDecoder().decode(TesseraBinary.CreatedApplication.self, from: Data(made.output.utf8))
        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-\(name)-\(port).log")
        let server = try TesseraBinary.serve(["--port", "\(port)"] + extra, databaseURL: database, log: log)
        let client = TokenClient(port: port)
        do {
            try await client.waitUntilServing()
            // /token serves the system tenant when no default tenant is set.
            let issued = try await client.post(
                "/token", form: "grant_type=client_credentials&scope=tessera:admin", key: platform.consumer_key,
                secret: platform.consumer_secret)
            let token = try #require(issued.json["access_token"] as? String, "\(issued.text)")
            #expect(issued.json["scope"] as? String == "tessera:admin")
            return AdminSession(
                database: database, suffix: suffix, server: server, client: client, platform: platform, token: token,
                log: log)
        } catch {
            server.terminate()
            throw error
        }
    }

    func stop() { if server.isRunning { server.terminate() } }

    /// A request to the admin API with the admin token, or `bearer`; a body is sent as JSON.
    func call(_ method: String, _ path: String, _ body: String? = nil, bearer: String? = nil) async throws
        -> TokenClient.Answer
    {
        var headers = ["Authorization: Bearer \(bearer ?? token)"]
        if body != nil { headers.append("Content-Type: application/json") }
        return try await client.request(method, path, headers: headers, body: body)
    }
}
