import Foundation
import Testing

/// Dynamic client registration through the binary (issue 16, item 5): an administrator's initial access token, a
/// client registering itself (RFC 7591), reading and deleting its registration (RFC 7592), and the refusals.
@Suite("Dynamic client registration, end to end", .timeLimit(.minutes(3)))
struct ClientRegistrationEndToEndTests {
    @Test(
        "register with an initial access token, get tokens, read and delete the registration; refusals as RFC 7591 says"
    )
    func registration() async throws {
        let session = try await AdminSession.start("dcr")
        defer { session.stop() }
        let domain = "dcr-\(session.suffix).example"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let made = try await session.call(
            "POST", "/admin/v1/tenants/\(domain)/registration-tokens", #"{"uses":2,"expires_in":600}"#)
        let initial = try #require(made.json["token"] as? String, "\(made.text)")
        #expect(initial.hasPrefix("tsr_ri_") && made.json["uses"] as? Int == 2)

        let client = session.client
        func register(_ metadata: String, token: String? = nil) async throws -> TokenClient.Answer {
            try await client.request(
                "POST", "/t/\(domain)/register",
                headers: ["Authorization: Bearer \(token ?? initial)", "Content-Type: application/json"], body: metadata
            )
        }
        let metadata = #"""
            {"client_name":"agent","grant_types":["client_credentials"],"scope":"read write",
             "token_endpoint_auth_method":"client_secret_post","software_id":"agent-sdk","software_version":"2.3",
             "redirect_uris":["https://ignored.example/cb"],"logo_uri":"https://ignored.example/logo.png"}
            """#
        let registered = try await register(metadata)
        #expect(registered.status == 201, "\(registered.text)")
        #expect(registered.headers["cache-control"] == "no-store")
        let clientID = try #require(registered.json["client_id"] as? String)
        let secret = try #require(registered.json["client_secret"] as? String)
        let access = try #require(registered.json["registration_access_token"] as? String)
        let uri = try #require(registered.json["registration_client_uri"] as? String)
        #expect(
            registered.json["client_secret_expires_at"] as? Int == 0 && registered.json["client_id_issued_at"] is Int)
        #expect(registered.json["scope"] as? String == "read write")
        #expect(registered.json["token_endpoint_auth_method"] as? String == "client_secret_post")
        #expect(registered.json["software_id"] as? String == "agent-sdk")
        #expect(registered.json["redirect_uris"] as? [String] == ["https://ignored.example/cb"], "kept as registered")
        #expect(registered.json["logo_uri"] == nil, "unknown metadata is ignored, not echoed")
        #expect(uri.hasSuffix("/t/\(domain)/register/\(clientID)"), "\(uri)")

        // The registered client gets tokens with the method it registered.
        let token = try await client.post(
            "/t/\(domain)/token",
            form: "grant_type=client_credentials&scope=read&client_id=\(clientID)&client_secret=\(secret)")
        #expect(token.status == 200 && token.json["scope"] as? String == "read", "\(token.text)")

        // RFC 7592: read with the registration access token; anything else is 401.
        let path = "/t/\(domain)/register/\(clientID)"
        let read = try await client.request("GET", path, headers: ["Authorization: Bearer \(access)"])
        #expect(read.status == 200 && read.json["client_id"] as? String == clientID, "\(read.text)")
        #expect(read.json["client_secret"] == nil, "the secret is never shown again")
        let wrong = try await client.request("GET", path, headers: ["Authorization: Bearer \(initial)"])
        #expect(wrong.status == 401 && wrong.headers["www-authenticate"]?.contains("invalid_token") == true)

        // Invalid metadata is 400 invalid_client_metadata, and spends nothing.
        for bad in [
            #"{"grant_types":["implicit"]}"#, #"{"token_endpoint_auth_method":"none"}"#,
            #"{"token_endpoint_auth_method":"private_key_jwt"}"#, #"{"jwks_uri":"https://x.example/jwks"}"#,
            #"{"client_name":7}"#, #"{"scope":"read \"x\""}"#, "[]",
            #"{"redirect_uris":["http://evil.example/cb"]}"#, #"{"redirect_uris":["https://a.example/cb#x"]}"#,
            // A client must not register itself into the admin API (found in review).
            #"{"scope":"tessera:tenant-admin"}"#, #"{"scope":"read tessera:admin"}"#,
        ] {
            let refused = try await register(bad)
            #expect(
                refused.status == 400 && refused.json["error"] as? String == "invalid_client_metadata",
                "\(bad): \(refused.text)")
        }
        // The second and last use, then the token is spent.
        #expect(try await register(#"{"client_name":"second"}"#).status == 201)
        let spent = try await register(#"{"client_name":"third"}"#)
        #expect(spent.status == 401 && spent.json["error"] as? String == "invalid_token", "\(spent.text)")
        let none = try await client.request("POST", "/t/\(domain)/register", body: "{}")
        #expect(none.status == 401 && none.headers["www-authenticate"] == #"Bearer realm="\#(domain)""#, "\(none.text)")
        // The token is checked before the body: a caller without one learns nothing of the metadata rules.
        let badBoth = try await register(#"{"grant_types":["implicit"]}"#, token: "tsr_ri_nope")
        #expect(badBoth.status == 401 && badBoth.json["error"] as? String == "invalid_token", "\(badBoth.text)")

        // A disabled tenant registers no one, whatever tokens are out (found in review).
        let another = try await session.call("POST", "/admin/v1/tenants/\(domain)/registration-tokens")
        let fresh = try #require(another.json["token"] as? String, "\(another.text)")
        #expect(try await session.call("POST", "/admin/v1/tenants/\(domain)/disable").status == 200)
        #expect(try await register(#"{"client_name":"while-disabled"}"#, token: fresh).status == 401)
        #expect(try await session.call("POST", "/admin/v1/tenants/\(domain)/enable").status == 200)

        // Tokens are listed by id, never shown again; a revoked one registers no one.
        let freshID = try #require(another.json["id"] as? String)
        #expect(freshID.count == 16 && made.json["id"] as? String != freshID)
        let listed = try await session.call("GET", "/admin/v1/tenants/\(domain)/registration-tokens")
        let tokens = try #require(listed.json["tokens"] as? [[String: Any]], "\(listed.text)")
        #expect(tokens.map { $0["id"] as? String } == [freshID, made.json["id"] as? String], "newest first")
        #expect(
            tokens.last?["uses_left"] as? Int == 0 && !listed.text.contains(fresh) && !listed.text.contains(initial))
        let cliList = try await TesseraBinary.run(
            ["app", "registration-token", "--tenant", domain, "--list"], databaseURL: session.database)
        #expect(cliList.status == 0 && cliList.output.contains(freshID), "\(cliList.output) \(cliList.error)")
        let revokePath = "/admin/v1/tenants/\(domain)/registration-tokens/\(freshID)"
        #expect(try await session.call("DELETE", revokePath).status == 204)
        #expect(try await register(#"{"client_name":"after-revoke"}"#, token: fresh).status == 401)
        #expect(try await session.call("DELETE", revokePath).status == 404)
        #expect(
            try await session.call("DELETE", "/admin/v1/tenants/\(domain)/registration-tokens/nothex!").status == 400)

        // Deleting the registration disables the client: no more tokens, the registration is gone.
        let deleted = try await client.request("DELETE", path, headers: ["Authorization: Bearer \(access)"])
        #expect(deleted.status == 204, "\(deleted.text)")
        let after = try await client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials&client_id=\(clientID)&client_secret=\(secret)")
        #expect(after.status == 401, "\(after.text)")
        #expect(try await client.request("GET", path, headers: ["Authorization: Bearer \(access)"]).status == 401)

        let metadataDocument = try await client.get("/.well-known/oauth-authorization-server/t/\(domain)")
        #expect((metadataDocument.json["registration_endpoint"] as? String)?.hasSuffix("/t/\(domain)/register") == true)
        let audit = try await session.call("GET", "/admin/v1/tenants/\(domain)/audit")
        for operation in ["registration-token.create", "registration-token.revoke", "app.register", "app.unregister"] {
            #expect(audit.text.contains(operation), "\(operation): \(audit.text)")
        }
        #expect(!audit.text.contains(initial) && !audit.text.contains(access) && !audit.text.contains(secret))
        // The access log names these requests, and never their tokens.
        let logged = try String(contentsOf: session.log, encoding: .utf8)
        #expect(logged.contains("endpoint=register") && logged.contains("endpoint=admin"))
        #expect(!logged.contains(initial) && !logged.contains(access) && !logged.contains(secret))
    }

    @Test("RFC 7592 update: the whole metadata replaced, the client's own id, its secret if sent; refusals")
    func update() async throws {
        let session = try await AdminSession.start("dcr-update")
        defer { session.stop() }
        let domain = "dcru-\(session.suffix).example"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let made = try await session.call("POST", "/admin/v1/tenants/\(domain)/registration-tokens")
        let initial = try #require(made.json["token"] as? String, "\(made.text)")
        let client = session.client
        let registered = try await client.request(
            "POST", "/t/\(domain)/register",
            headers: ["Authorization: Bearer \(initial)", "Content-Type: application/json"],
            body: #"{"client_name":"agent","scope":"read write","software_id":"sdk","software_version":"1.0"}"#)
        #expect(registered.status == 201, "\(registered.text)")
        let clientID = try #require(registered.json["client_id"] as? String)
        let secret = try #require(registered.json["client_secret"] as? String)
        let access = try #require(registered.json["registration_access_token"] as? String)
        let path = "/t/\(domain)/register/\(clientID)"
        func put(_ body: String, token: String? = nil) async throws -> TokenClient.Answer {
            try await client.request(
                "PUT", path, headers: ["Authorization: Bearer \(token ?? access)", "Content-Type: application/json"],
                body: body)
        }

        // The update replaces everything: software_version changes, software_id left out is gone, the scope narrows.
        let updated = try await put(
            #"{"client_id":"\#(clientID)","client_secret":"\#(secret)","client_name":"agent","scope":"read","#
                + #""token_endpoint_auth_method":"client_secret_post","software_version":"2.0","#
                + #""redirect_uris":["https://agent.example/cb"]}"#)
        #expect(updated.status == 200, "\(updated.text)")
        #expect(updated.json["scope"] as? String == "read" && updated.json["software_version"] as? String == "2.0")
        #expect(updated.json["software_id"] == nil && updated.json["client_secret"] == nil, "\(updated.text)")
        #expect(updated.json["token_endpoint_auth_method"] as? String == "client_secret_post")
        #expect(updated.json["registration_access_token"] as? String == access)
        #expect(updated.json["redirect_uris"] as? [String] == ["https://agent.example/cb"])
        #expect(
            updated.json["client_name"] as? String == registered.json["client_name"] as? String,
            "an unchanged name keeps its suffix")
        let read = try await client.request("GET", path, headers: ["Authorization: Bearer \(access)"])
        #expect(read.json["scope"] as? String == "read" && read.json["software_version"] as? String == "2.0")

        // The change holds at the token endpoint: the new method works, the scope left out is refused.
        let form = "grant_type=client_credentials&client_id=\(clientID)&client_secret=\(secret)"
        #expect(try await client.post("/t/\(domain)/token", form: form + "&scope=read").status == 200)
        let widened = try await client.post("/t/\(domain)/token", form: form + "&scope=write")
        #expect(widened.status == 400 && widened.json["error"] as? String == "invalid_scope", "\(widened.text)")

        // Refusals: another client's id, the server's members, a wrong secret, an impossible method, a bad token.
        let own = #""client_id":"\#(clientID)""#
        for (body, error) in [
            (#"{"client_id":"someone-else"}"#, "invalid_request"), ("{}", "invalid_request"),
            (#"{\#(own),"registration_access_token":"\#(access)"}"#, "invalid_request"),
            (#"{\#(own),"client_id_issued_at":1}"#, "invalid_request"),
            (#"{\#(own),"client_secret":"not-it"}"#, "invalid_request"),
            (#"{\#(own),"token_endpoint_auth_method":"private_key_jwt"}"#, "invalid_client_metadata"),
            (#"{\#(own),"grant_types":["implicit"]}"#, "invalid_client_metadata"),
            (#"{\#(own),"scope":"tessera:admin"}"#, "invalid_client_metadata"),
        ] {
            let refused = try await put(body)
            #expect(refused.status == 400 && refused.json["error"] as? String == error, "\(body): \(refused.text)")
        }
        let stranger = try await put(#"{\#(own)}"#, token: initial)
        #expect(stranger.status == 401 && stranger.json["error"] as? String == "invalid_token", "\(stranger.text)")
        // Nothing refused changed anything.
        let after = try await client.request("GET", path, headers: ["Authorization: Bearer \(access)"])
        #expect(after.json["scope"] as? String == "read" && after.json["software_version"] as? String == "2.0")
        let audit = try await session.call("GET", "/admin/v1/tenants/\(domain)/audit")
        #expect(audit.text.contains("app.update-registration") && !audit.text.contains(secret), "\(audit.text)")
    }

    @Test("open registration: closed by default, opened for some scopes, bounded per hour and per address")
    func openRegistration() async throws {
        let session = try await AdminSession.start("dcr-open")
        defer { session.stop() }
        let domain = "dcro-\(session.suffix).example"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let client = session.client
        func register(_ metadata: String) async throws -> TokenClient.Answer {
            try await client.request(
                "POST", "/t/\(domain)/register", headers: ["Content-Type: application/json"], body: metadata)
        }
        let closed = try await register("{}")
        #expect(closed.status == 401 && closed.headers["www-authenticate"] == #"Bearer realm="\#(domain)""#)
        let shown = try await session.call("GET", "/admin/v1/tenants/\(domain)/open-registration")
        #expect(shown.status == 200 && shown.json["open"] as? Bool == false, "\(shown.text)")
        for bad in [#"{"scopes":"tessera:admin"}"#, #"{"scopes":""}"#, #"{"scopes":"a","per_hour":0}"#] {
            let refused = try await session.call("PUT", "/admin/v1/tenants/\(domain)/open-registration", bad)
            #expect(refused.status == 400, "\(bad): \(refused.text)")
        }

        let opened = try await session.call(
            "PUT", "/admin/v1/tenants/\(domain)/open-registration", #"{"scopes":"mcp:tools read","per_hour":3}"#)
        #expect(opened.status == 200 && opened.json["open"] as? Bool == true, "\(opened.text)")
        #expect(opened.json["scopes"] as? String == "mcp:tools read" && opened.json["per_hour"] as? Int == 3)

        // A registration without a token gets the open scopes, or fewer; never others.
        let first = try await register(#"{"client_name":"agent"}"#)
        #expect(first.status == 201 && first.json["scope"] as? String == "mcp:tools read", "\(first.text)")
        #expect(first.json["registration_access_token"] is String)
        let outside = try await register(#"{"scope":"read write"}"#)
        #expect(outside.status == 400 && outside.json["error"] as? String == "invalid_client_metadata")
        #expect(try await register(#"{"scope":"read"}"#).status == 201)
        #expect(try await register("{}").status == 201)
        // The tenant's bound (3 an hour) holds whatever the address, then this address's own throttle.
        let bound = try await register("{}")
        #expect(bound.status == 429 && bound.headers["retry-after"] != nil, "\(bound.text)")
        #expect(bound.text.contains("this hour"), "\(bound.text)")
        let throttled = try await register("{}")
        #expect(throttled.status == 429 && throttled.text.contains("this address"), "\(throttled.text)")

        // The openly registered client gets tokens for its open scopes.
        let key = try #require(first.json["client_id"] as? String)
        let secret = try #require(first.json["client_secret"] as? String)
        let token = try await client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials&scope=mcp:tools", key: key, secret: secret)
        #expect(token.status == 200, "\(token.text)")

        // Closed again, by the CLI: a registration needs a token again; the clients registered stay.
        let cli = try await TesseraBinary.run(
            ["tenant", "registration", domain, "--close", "--json"], databaseURL: session.database)
        #expect(cli.status == 0 && cli.output.contains(#""open":false"#), "\(cli.output) \(cli.error)")
        #expect(try await register("{}").status == 401)
        let reopened = try await TesseraBinary.run(
            ["tenant", "registration", domain, "--open"], databaseURL: session.database)
        #expect(reopened.status != 0 && reopened.error.contains("--scopes"), "\(reopened.error)")
        let audit = try await session.call("GET", "/admin/v1/tenants/\(domain)/audit")
        for operation in ["tenant.open-registration", "tenant.close-registration", "app.register"] {
            #expect(audit.text.contains(operation), "\(operation): \(audit.text)")
        }
    }

    @Test(
        "pyoidc, a third party's client, registers (with an initial access token, then openly), reads its registration, gets a token"
    )
    func pyoidcRegisters() async throws {
        let python = try #require(
            ProcessInfo.processInfo.environment["TESSERA_PYOIDC_PYTHON"],
            "TESSERA_PYOIDC_PYTHON is not set: run the suite with deploy/test.sh, which installs pyoidc")
        let session = try await AdminSession.start("dcr-pyoidc")
        defer { session.stop() }
        let domain = "pyoidc-\(session.suffix).example"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        let made = try await TesseraBinary.run(
            ["app", "registration-token", "--tenant", domain, "--json"], databaseURL: session.database)
        let initial = try #require(
            (try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])?["token"] as? String,
            "\(made.error)")
        let base = "http://127.0.0.1:\(session.client.port)/t/\(domain)"
        /// What pyoidc registered, having registered with `initial` ("-": none).
        func registerWithPyoidc(_ initial: String) async throws -> [String: Any] {
            let printed = try await PythonScript.run(
                "register_with_pyoidc.py", ["\(base)/register", "\(base)/token", initial], folder: "dcr",
                python: python)
            return try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        }
        let result = try await registerWithPyoidc(initial)
        let clientID = try #require(result["client_id"] as? String)
        #expect(result["read_client_id"] as? String == clientID, "RFC 7592 read: \(result)")
        #expect(result["token_status"] as? Int == 200 && result["scope"] as? String == "read", "\(result)")
        // Where the tenant opened its registration, pyoidc registers with no token at all.
        #expect(
            try await session.call(
                "PUT", "/admin/v1/tenants/\(domain)/open-registration", #"{"scopes":"read"}"#
            ).status == 200)
        let open = try await registerWithPyoidc("-")
        #expect(open["token_status"] as? Int == 200 && open["client_id"] as? String != clientID, "\(open)")
        let listed = try await session.call("GET", "/admin/v1/tenants/\(domain)/applications/\(clientID)")
        #expect((listed.json["name"] as? String)?.hasPrefix("pyoidc") == true, "\(listed.text)")
    }
}
