import Foundation
import TesseraTesting
import Testing

/// The authorization code grant end to end: the built binary, its PostgreSQL, and a third party's client library
/// (Authlib's OAuth2Session, Tests/oauth/) doing the whole flow over HTTP, the browser's part included.
/// One test at a time: each drives a server, a third-party client in Python and, for one, Chromium; together they
/// starved the rest of the suite on two cores.
@Suite("Authorization code end to end", .serialized)
struct AuthorizationCodeEndToEndTests {
    @Test(
        "Authlib with PKCE: sign-in, consent, code with state and iss, tokens for the resource; a replayed code revokes its tokens; consent remembered; refresh rotates"
    )
    func authlibFlow() async throws {
        let session = try await AdminSession.start("authcode-authlib")
        defer { session.stop() }
        let domain = "authcode-\(session.suffix).example"
        let database = session.database
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let user = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "alice", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: "correct horse")
        #expect(user.status == 0, "\(user.error)")
        let resource = "https://mcp.\(domain)"
        let declared = try await TesseraBinary.run(
            ["resource", "add", "--tenant", domain, resource, "--name", "Acme tools"], databaseURL: database)
        #expect(declared.status == 0, "\(declared.error)")
        let made = try await TesseraBinary.run(
            [
                "app", "create", "--tenant", domain, "--name", "desktop agent", "--public",
                "--grant-types", "authorization_code,refresh_token", "--scopes", "mcp:tools profile",
                "--default-scopes", "mcp:tools", "--redirect-uris",
                "http://127.0.0.1/callback,https://agent.example/cb",
                "--json",
            ], databaseURL: database)
        let created = try #require(
            try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any], "\(made.error)")
        let clientID = try #require(created["consumer_key"] as? String)
        #expect(created["consumer_secret"] == nil, "a public client gets no secret: \(created)")
        #expect(created["auth_methods"] as? [String] == ["none"])
        // A resource server, to ask introspection about the tokens.
        let server = try await TesseraBinary.run(
            ["app", "create", "--tenant", domain, "--name", "mcp server", "--introspect-any", "--json"],
            databaseURL: database)
        let resourceServer = try JSONDecoder().decode(
            TesseraBinary.CreatedApplication.self, from: Data(server.output.utf8))

        let issuer = "http://localhost:\(session.client.port)/t/\(domain)"
        let result = try await Self.authlib(
            issuer: issuer, clientID: clientID, username: "alice", password: "correct horse", resource: resource)
        let metadata = try #require(result["metadata"] as? [String: Any])
        #expect(metadata["authorization_endpoint"] as? String == issuer + "/authorize")
        #expect(metadata["code_challenge_methods_supported"] as? [String] == ["S256"])
        #expect((metadata["token_endpoint_auth_methods_supported"] as? [String])?.contains("none") == true)
        // The pages: a cookie HttpOnly and SameSite=Lax, a policy that frames nothing and posts only where it must.
        #expect(result["sign_in_status"] as? Int == 200)
        let cookie = try #require(result["set_cookie"] as? String)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "\(cookie)")
        let policy = try #require(result["sign_in_csp"] as? String)
        #expect(policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'none'"), "\(policy)")
        #expect(policy.contains("form-action 'self' http://127.0.0.1:53682"), "\(policy)")
        #expect(result["sign_in_labels"] as? [String] == ["password", "username"])
        #expect(result["wrong_password_status"] as? Int == 401)
        #expect(result["consent_status"] as? Int == 200 && result["consent_mentions_resource"] as? Bool == true)
        // Back to the loopback redirect on the port the client chose, with state and iss (RFC 9207).
        #expect(result["approve_status"] as? Int == 303)
        #expect(result["redirect_starts_with"] as? Bool == true && result["redirect_state_matches"] as? Bool == true)
        #expect(result["redirect_iss"] as? String == issuer)
        let token = try #require(result["token"] as? [String: Any])
        #expect(token["token_type"] as? String == "Bearer" && token["scope"] as? String == "mcp:tools")
        #expect(result["has_refresh_token"] as? Bool == true)
        #expect(result["replay_status"] as? Int == 400 && result["replay_error"] as? String == "invalid_grant")
        #expect(result["remembered_status"] as? Int == 302, "consent remembered: no page the second time")
        #expect(result["refreshed"] as? Bool == true)
        // The user's consents page lists the client; revoking there ends its refresh tokens.
        #expect(result["consents_status"] as? Int == 200 && result["consents_listed"] as? Int == 1, "\(result)")
        #expect(result["revoke_status"] as? Int == 303 && result["after_revoke_lists_none"] as? Bool == true)
        #expect(result["refresh_after_revoke"] as? String == "invalid_grant", "\(result)")

        func introspect(_ token: String) async throws -> [String: Any] {
            let answer = try await session.client.post(
                "/t/\(domain)/introspect", form: "token=\(token)", key: resourceServer.consumer_key,
                secret: resourceServer.consumer_secret)
            return answer.json
        }
        // The replayed code's token is revoked; the second one is live, for the user, at the resource.
        let first = try await introspect(try #require(result["access_token"] as? String))
        #expect(first["active"] as? Bool == false, "\(first)")
        let second = try await introspect(try #require(result["access_token_2"] as? String))
        #expect(second["username"] as? String == nil, "revoked with its family when the consent was: \(second)")
        #expect(second["active"] as? Bool == false, "\(second)")
        // Revoked by the public client itself, with its client_id alone.
        #expect(result["public_revoke_status"] as? Int == 200, "\(result)")
        let revoked = try await introspect(try #require(result["revoked_access_token"] as? String))
        #expect(revoked["active"] as? Bool == false, "\(revoked)")
    }

    /// What Tests/oauth/authorization_code_with_authlib.py saw doing the flow for `clientID`, redirecting to a
    /// loopback port of its choosing.
    static func authlib(issuer: String, clientID: String, username: String, password: String, resource: String)
        async throws -> [String: Any]
    {
        let printed = try await PythonScript.run(
            "authorization_code_with_authlib.py",
            [issuer, clientID, "http://127.0.0.1:53682/callback", username, password, "mcp:tools", resource],
            folder: "oauth")
        return try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
    }

    @Test(
        "a client with no registration at all, known by its metadata document (CIMD): fetched once, shown unverified, the flow works"
    )
    func clientMetadataDocument() async throws {
        let publisher = try PublishingServer()
        defer { publisher.stop() }
        let session = try await AdminSession.start(
            "authcode-cimd",
            serve: [
                "--fetch-allowed-hosts", "localhost", "--fetch-ca-file",
                publisher.folder.appendingPathComponent("cert.pem").path,
            ])
        defer { session.stop() }
        let domain = "cimd-\(session.suffix).example"
        let database = session.database
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let user = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "carol", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: "battery staple")
        #expect(user.status == 0, "\(user.error)")
        let resource = "https://mcp.\(domain)"
        _ = try await TesseraBinary.run(
            ["resource", "add", "--tenant", domain, resource, "--name", "Tools"], databaseURL: database)
        let opened = try await TesseraBinary.run(
            ["tenant", "client-documents", domain, "--scopes", "mcp:tools", "--json"], databaseURL: database)
        #expect(opened.output.contains(#""accepted":true"#) && opened.output.contains("mcp:tools"), "\(opened.error)")

        let clientID = "https://localhost:\(publisher.httpsPort)/cached/600/agent.json"
        try publisher.write(
            "agent.json",
            #"""
            {"client_id":"\#(clientID)","client_name":"Doc Agent","redirect_uris":["http://127.0.0.1/callback"],
             "grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none"}
            """#)
        let issuer = "http://localhost:\(session.client.port)/t/\(domain)"
        /// The tenant's metadata once it shows a change: a server hears of a CLI change on the change feed, within
        /// about a second.
        func tenantMetadata(until done: @escaping ([String: Any]) -> Bool) async throws -> TokenClient.Answer {
            var answer = try await session.client.get("/t/\(domain)/.well-known/oauth-authorization-server")
            for _ in 0..<50 where !done(answer.json) {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await session.client.get("/t/\(domain)/.well-known/oauth-authorization-server")
            }
            return answer
        }
        let metadata = try await tenantMetadata { $0["scopes_supported"] as? [String] == ["mcp:tools"] }
        #expect(metadata.json["client_id_metadata_document_supported"] as? Bool == true, "\(metadata.text)")
        #expect(metadata.json["scopes_supported"] as? [String] == ["mcp:tools"], "\(metadata.text)")

        let result = try await Self.authlib(
            issuer: issuer, clientID: clientID, username: "carol", password: "battery staple", resource: resource)
        #expect(result["consent_status"] as? Int == 200 && result["consent_unverified"] as? Bool == true, "\(result)")
        #expect(result["approve_status"] as? Int == 303 && result["redirect_iss"] as? String == issuer, "\(result)")
        #expect((result["token"] as? [String: Any])?["scope"] as? String == "mcp:tools", "\(result)")
        #expect(result["replay_error"] as? String == "invalid_grant" && result["refreshed"] as? Bool == true)
        // Two authorizations and their token requests: the document was fetched once (it says max-age=600).
        let hits = try await TokenClient(port: publisher.httpPort).get("/hits/agent.json")
        #expect(hits.json["hits"] as? Int == 1, "\(hits.text)")

        // A document that names another client_id is shown on a page, never followed.
        let liar = "https://localhost:\(publisher.httpsPort)/file/liar.json"
        try publisher.write(
            "liar.json", #"{"client_id":"https://elsewhere.example/c","redirect_uris":["http://127.0.0.1/cb"]}"#)
        let page = try await session.client.get(
            "/t/\(domain)/authorize?response_type=code&client_id=\(liar)&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_challenge=\(String(repeating: "a", count: 43))&code_challenge_method=S256"
        )
        #expect(page.status == 400 && page.text.contains("client_id is not its URL"), "\(page.text)")
        #expect(page.headers["location"] == nil)
        // Refused by the tenant: the metadata says so, and the flow stops on a page.
        _ = try await TesseraBinary.run(["tenant", "client-documents", domain, "--refuse"], databaseURL: database)
        let refused = try await tenantMetadata { $0["client_id_metadata_document_supported"] as? Bool == false }
        #expect(refused.json["client_id_metadata_document_supported"] as? Bool == false, "\(refused.text)")
        // The same rule through the admin API; what a request leaves out stays.
        let shown = try await session.call("GET", "/admin/v1/tenants/\(domain)/client-documents")
        #expect(shown.json["accepted"] as? Bool == false && shown.json["scopes"] as? [String] == ["mcp:tools"])
        let changed = try await session.call(
            "PUT", "/admin/v1/tenants/\(domain)/client-documents", #"{"accepted":true,"scopes":"mcp:tools read"}"#)
        #expect(
            changed.status == 200 && changed.json["scopes"] as? [String] == ["mcp:tools", "read"], "\(changed.text)")
        let reserved = try await session.call(
            "PUT", "/admin/v1/tenants/\(domain)/client-documents", #"{"scopes":"tessera:admin"}"#)
        #expect(reserved.status == 400, "\(reserved.text)")
        // /authorize serves the default tenant too (here the system tenant, which knows no such client).
        let root = try await session.client.get("/authorize?response_type=code&client_id=nobody")
        #expect(root.status == 400 && root.headers["content-security-policy"] != nil, "\(root.text)")
    }

    @Test(
        "the pages in headless Chromium: labelled fields, keyboard only, the consent form's redirect to the client passes the policy; screenshots"
    )
    func browser() async throws {
        let session = try await AdminSession.start("authcode-browser")
        defer { session.stop() }
        let domain = "browser-\(session.suffix).example"
        let database = session.database
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        _ = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "dora", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: "tr0ub4dor&3")
        let resource = "https://mcp.\(domain)"
        _ = try await TesseraBinary.run(
            ["resource", "add", "--tenant", domain, resource, "--name", "Dora's tools"], databaseURL: database)
        let made = try await TesseraBinary.run(
            [
                "app", "create", "--tenant", domain, "--name", "browser agent", "--public",
                "--grant-types", "authorization_code", "--scopes", "mcp:tools", "--default-scopes", "mcp:tools",
                "--redirect-uris", "http://127.0.0.1/callback", "--json",
            ], databaseURL: database)
        let created = try #require(try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])
        let clientID = try #require(created["consumer_key"] as? String, "\(made.error)")
        // The screenshots stay with the run's other files (deploy/test.sh keeps them after a failure).
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-browser-\(session.suffix)")
        let issuer = "http://localhost:\(session.client.port)/t/\(domain)"
        let printed = try await PythonScript.run(
            "sign_in_and_consent.py", [issuer, clientID, "dora", "tr0ub4dor&3", resource, output.path],
            folder: "browser")
        let result = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        #expect(result["sign_in_title"] as? String == "Sign in · Tessera", "\(result)")
        #expect(result["labelled"] as? Bool == true)
        #expect(result["focus_on_username"] as? Bool == true && result["tab_to_password"] as? Bool == true)
        #expect(result["consent_title"] as? String == "Allow browser agent? · Tessera", "\(result)")
        #expect(result["consent_shows_resource"] as? Bool == true && result["tab_to_allow"] as? Bool == true)
        #expect(result["redirected_to_client"] as? Bool == true && result["state_matches"] as? Bool == true)
        #expect(result["iss"] as? String == issuer)
        let console = result["console_errors"] as? [String] ?? []
        #expect(!console.contains { $0.contains("Content Security Policy") || $0.contains("Refused") }, "\(console)")
        #expect(result["token_status"] as? Int == 200 && result["token_scope"] as? String == "mcp:tools")
        #expect(result["screenshots"] as? [String] == ["consent.png", "sign-in.png"], "\(result)")
    }

    @Test("administrators list and revoke a user's consents (CLI and admin API, audited); unknown ones are 404")
    func administratorsRevokeConsents() async throws {
        let session = try await AdminSession.start("authcode-consents")
        defer { session.stop() }
        let domain = "consents-\(session.suffix).example"
        let database = session.database
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        // By the CLI at a low bcrypt cost: the server hashes on otherwise idle CPU, which a loaded machine may not have.
        let bob = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "bob", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: "pw-bob-123")
        #expect(bob.status == 0, "\(bob.error)")
        let created = try await session.call(
            "POST", "/admin/v1/tenants/\(domain)/applications",
            #"{"name":"cli agent","grant_types":["authorization_code"],"auth_methods":["none"],"redirect_uris":["http://127.0.0.1/cb"]}"#
        )
        #expect(created.status == 201, "\(created.text)")
        #expect(created.json["consumer_secret"] == nil, "a public client gets no secret: \(created.text)")
        let application = try #require(created.json["application"] as? [String: Any])
        #expect(application["redirect_uris"] as? [String] == ["http://127.0.0.1/cb"])
        let key = try #require(application["consumer_key"] as? String)
        // Its redirect URIs are replaced as a whole, never emptied while it may use the grant, and checked.
        let redirects = "/admin/v1/tenants/\(domain)/applications/\(key)/redirect-uris"
        let replaced = try await session.call("PUT", redirects, #"{"redirect_uris":["https://agent.example/cb"]}"#)
        #expect(replaced.status == 200, "\(replaced.text)")
        #expect(replaced.json["redirect_uris"] as? [String] == ["https://agent.example/cb"], "\(replaced.text)")
        #expect(try await session.call("PUT", redirects, #"{"redirect_uris":[]}"#).status == 400)
        #expect(try await session.call("PUT", redirects, #"{"redirect_uris":["https://*.example/cb"]}"#).status == 400)
        let cli = try await TesseraBinary.run(
            [
                "app", "set-redirect-uris", "--tenant", domain, "--consumer-key", key, "--redirect-uris",
                "http://127.0.0.1/cb, https://agent.example/cb",
            ], databaseURL: database)
        #expect(cli.status == 0 && cli.output.contains("http://127.0.0.1/cb, https://agent.example/cb"), "\(cli.error)")
        let fragment = try await TesseraBinary.run(
            [
                "app", "set-redirect-uris", "--tenant", domain, "--consumer-key", key, "--redirect-uris",
                "https://a.example/#x",
            ],
            databaseURL: database)
        #expect(fragment.status == 1 && fragment.error.contains("not a redirect URI"), "\(fragment.error)")
        // A public client may not use client_credentials; authorization_code needs a redirect URI.
        for body in [
            #"{"name":"x","grant_types":["client_credentials"],"auth_methods":["none"]}"#,
            #"{"name":"y","grant_types":["authorization_code"]}"#,
        ] {
            let refused = try await session.call("POST", "/admin/v1/tenants/\(domain)/applications", body)
            #expect(refused.status == 400, "\(refused.text)")
        }
        // A consent as the authorization endpoint records it.
        _ = try await TesseraBinary.psql(
            """
            INSERT INTO consents (tenant_id, user_id, application_id, scopes, resources)
            SELECT a.tenant_id, u.user_id, a.application_id, '{default}', '{}' FROM applications a
            JOIN users u ON u.tenant_id = a.tenant_id WHERE a.consumer_key = '\(key)' AND u.username = 'bob'
            """, databaseURL: database)
        let listedByCLI = try await TesseraBinary.run(
            ["user", "consents", "--tenant", domain, "--username", "bob", "--json"], databaseURL: database)
        #expect(
            listedByCLI.output.contains(key) && listedByCLI.output.contains("cli agent"),
            "\(listedByCLI.output) \(listedByCLI.error)")
        let listed = try await session.call("GET", "/admin/v1/tenants/\(domain)/users/bob/consents")
        #expect(listed.status == 200 && listed.text.contains(key), "\(listed.text)")
        let path = "/admin/v1/tenants/\(domain)/users/bob/consents/\(key)"
        #expect(try await session.call("DELETE", path).status == 204)
        #expect(try await session.call("DELETE", path).status == 404)
        #expect(
            try await session.call("DELETE", "/admin/v1/tenants/\(domain)/users/nobody/consents/\(key)").status == 404)
        let audit = try await session.call("GET", "/admin/v1/tenants/\(domain)/audit")
        #expect(audit.text.contains("user.revoke-consent"), "\(audit.text)")
    }
}
