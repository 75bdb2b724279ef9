import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraCore
import TesseraTesting
import Testing

@Suite("Token request parameters: grant_type, scope, validity_period (RFC 6749 §3.3, §4.4.2, §5.2)")
struct TokenRequestTests {
    let server = TestServer()

    // MARK: grant_type

    @Test("grant_type missing -> invalid_request")
    func grantTypeMissing() async throws {
        try await server.test { client in
            let response = try await client.postToken(form: [], authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("grant_type empty is the same as missing (§3.2) -> invalid_request")
    func grantTypeEmpty() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", "")], authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test(
        "grant_type not registered -> unsupported_grant_type",
        arguments: [
            "password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS", "client_credentials ",
            "urn:test:echo",
        ])
    func grantTypeUnsupported(_ grantType: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: [("grant_type", grantType)], authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "unsupported_grant_type")
        }
    }

    // MARK: scope

    @Test("no scope -> the application's default scopes, named in the response")
    func defaultScope() async throws {
        try await server.test { client in
            let response = try await client.requestToken()
            expectToken(response)
            #expect(response.json?["scope"] as? String == "default")
            #expect(server.store.tokens.first?.scopes.tokens == ["default"])
        }
    }

    @Test("an empty scope parameter counts as absent (§3.2) -> default scopes")
    func emptyScope() async throws {
        try await server.test { client in
            let response = try await client.requestToken([("scope", "")])
            expectToken(response)
            #expect(response.json?["scope"] as? String == "default")
        }
    }

    @Test(
        "allowed scopes, space-delimited -> granted, sorted and once each",
        arguments: [
            ("read", "read"), ("write read", "read write"), ("read read write", "read write"),
            ("default read write", "default read write"),
        ])
    func allowedScopes(_ requested: String, _ granted: String) async throws {
        try await server.test { client in
            let response = try await client.requestToken([("scope", requested)])
            expectToken(response)
            #expect(response.json?["scope"] as? String == granted)
            #expect(server.store.tokens.first?.scopes.description == granted)
        }
    }

    @Test(
        "scope not allowed for the client -> invalid_scope naming that scope",
        arguments: [("admin", "admin"), ("read admin", "admin"), ("admin read root", "admin root"), ("READ", "READ")])
    func scopeNotAllowed(_ requested: String, _ refused: String) async throws {
        try await server.test { client in
            let response = try await client.requestToken([("scope", requested)])
            expectOAuthError(response, status: .badRequest, error: "invalid_scope")
            #expect(response.errorDescription?.hasSuffix(": \(refused)") == true, "\(response.errorDescription ?? "")")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test(
        "malformed scope token -> invalid_scope",
        arguments: [
            "read\"write", "read\\write", "\"", "\\", "caf\u{E9}", "read\u{1}", "read\twrite",
            String(repeating: "s", count: 129), "   ",
        ])
    func malformedScope(_ scope: String) async throws {
        try await server.test { client in
            let response = try await client.requestToken([("scope", scope)])
            expectOAuthError(response, status: .badRequest, error: "invalid_scope")
        }
    }

    // MARK: validity_period

    @Test("no validity_period -> expires_in is the application's default validity")
    func defaultValidity() async throws {
        try await server.test { client in
            let response = try await client.requestToken()
            expectToken(response)
            #expect(response.json?["expires_in"] as? Int == Applications.acme.application.defaultTokenValidity)
        }
    }

    @Test("validity_period within bounds sets expires_in and the stored expiry", arguments: [1, 60, 86400])
    func validityPeriod(_ seconds: Int) async throws {
        try await server.test { client in
            let response = try await client.requestToken([("validity_period", String(seconds))])
            expectToken(response)
            #expect(response.json?["expires_in"] as? Int == seconds)
            let stored = try #require(server.store.tokens.first)
            #expect(stored.expiresAt.timeIntervalSince(stored.issuedAt) == Double(seconds))
        }
    }

    @Test(
        "validity_period not a positive integer within the application's maximum -> invalid_request",
        arguments: ["0", "-1", "abc", "1.5", "86401", "99999999999999999999", "1e3", "0x10", " 60", "60s"])
    func invalidValidityPeriod(_ value: String) async throws {
        try await server.test { client in
            let response = try await client.requestToken([("validity_period", value)])
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
            #expect(server.store.tokens.isEmpty)
        }
    }
}
