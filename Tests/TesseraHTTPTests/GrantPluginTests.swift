import HTTPTypes
import HummingbirdTesting
import TesseraCore
import TesseraTesting
import Testing

@Suite("The grant seam: a grant defined in this test target, installed with one register call")
struct GrantPluginTests {
    let server = TestServer { registry, issuer in
        registry.register(EchoGrant(issuer: issuer))
        registry.register(AnonymousGrant())
    }

    @Test("a registered plugin grant is dispatched by its grant_type and issues through the core's issuer")
    func dispatch() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "hello")],
                authorization: Form.basic(Applications.pluginUser))
            expectToken(response)
            let json = try #require(response.json)
            #expect(json["echo"] as? String == "hello")
            #expect((json["access_token"] as? String)?.hasPrefix("tsr_at_") == true)
            #expect(json["token_type"] as? String == "Bearer")
            #expect(json["expires_in"] as? Int == 60)
            let stored = try #require(server.store.tokens.first)
            #expect(stored.grantType == EchoGrant.grantType)
            #expect(stored.subject == "echo:hello")
        }
    }

    @Test("a parameter the grant declares repeatable may be sent more than once; the grant reads every value in order")
    func repeatableParameter() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "one"), ("echo", "two")],
                authorization: Form.basic(Applications.pluginUser))
            expectToken(response)
            #expect(response.json?["echo"] as? String == "one,two")
            let repeatedCore = try await client.postToken(
                form: [
                    ("grant_type", EchoGrant.grantType.rawValue), ("grant_type", EchoGrant.grantType.rawValue),
                    ("echo", "one"),
                ],
                authorization: Form.basic(Applications.pluginUser))
            expectOAuthError(repeatedCore, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("a grant sees only the parameters it declared: not grant_type, client_id, client_secret or others")
    func parametersAreStripped() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "hi"), ("other", "x"), ("scope", "read")]
                    + Form.credentials(Applications.pluginUser))
            expectToken(response)
            #expect(response.json?["seen_parameters"] as? String == "echo")
        }
    }

    @Test("a plugin's OAuthError reaches the client as is: invalid_request and invalid_grant")
    func pluginErrors() async throws {
        try await server.test { client in
            let missing = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue)],
                authorization: Form.basic(Applications.pluginUser))
            expectOAuthError(missing, status: .badRequest, error: "invalid_request")
            #expect(missing.errorDescription == "the echo parameter is missing")

            let refused = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "refuse")],
                authorization: Form.basic(Applications.pluginUser))
            expectOAuthError(refused, status: .badRequest, error: "invalid_grant")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test("a registered grant the application is not allowed -> unauthorized_client")
    func grantNotAllowedForClient() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "hi")],
                authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "unauthorized_client")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test("client authentication comes before the grant check: a wrong secret for a plugin grant -> invalid_client")
    func authenticationFirst() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "hi")],
                authorization: Form.basic(Applications.acme.key, "wrong"))
            expectInvalidClient(response)
        }
    }

    @Test("a plugin grant's declared parameter in the query string -> invalid_request")
    func pluginParameterInQuery() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                path: Paths.acme + "?echo=hi", form: [("grant_type", EchoGrant.grantType.rawValue)],
                authorization: Form.basic(Applications.pluginUser))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("a grant with optional client authentication runs without credentials, with no client")
    func optionalAuthenticationWithoutCredentials() async throws {
        try await server.test { client in
            let response = try await client.postToken(form: [("grant_type", AnonymousGrant.grantType.rawValue)])
            expectToken(response)
            #expect(response.json?["client"] as? String == "none")
            #expect(response.json?["tenant"] as? String == "acme.com")
            #expect(response[header: "WWW-Authenticate"] == nil)
        }
    }

    @Test("a grant with optional client authentication gets the client when it authenticates")
    func optionalAuthenticationWithCredentials() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", AnonymousGrant.grantType.rawValue)],
                authorization: Form.basic(Applications.pluginUser))
            expectToken(response)
            #expect(response.json?["client"] as? String == Applications.pluginUser.key)
        }
    }

    @Test("optional client authentication still refuses wrong credentials -> invalid_client")
    func optionalAuthenticationWrongSecret() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", AnonymousGrant.grantType.rawValue)],
                authorization: Form.basic(Applications.pluginUser.key, "wrong"))
            expectInvalidClient(response)
        }
    }

    @Test("optional client authentication with a client not allowed the grant -> unauthorized_client")
    func optionalAuthenticationNotAllowed() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", AnonymousGrant.grantType.rawValue)], authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "unauthorized_client")
        }
    }

    @Test("installing plugins leaves client_credentials as it was")
    func clientCredentialsUnchanged() async throws {
        try await server.test { client in
            let response = try await client.requestToken(as: Applications.pluginUser, [("scope", "read")])
            expectToken(response)
            #expect(response.json.map { Set($0.keys) } == ["access_token", "token_type", "expires_in", "scope"])
        }
    }
}
