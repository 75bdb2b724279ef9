import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraCore
import TesseraTesting
import Testing

@Suite("Successful token responses (RFC 6749 §4.4.3, §5.1) and the store behind them")
struct TokenResponseTests {
    let server = TestServer()

    @Test("success -> 200 with exactly access_token, token_type Bearer, expires_in (a number) and scope")
    func shape() async throws {
        try await server.test { client in
            let response = try await client.requestToken([("scope", "read"), ("validity_period", "120")])
            expectToken(response)
            let json = try #require(response.json)
            #expect(Set(json.keys) == ["access_token", "token_type", "expires_in", "scope"])
            #expect(json["token_type"] as? String == "Bearer")
            #expect(json["expires_in"] as? Int == 120)
            #expect(json["scope"] as? String == "read")
            // A number in the JSON text, not a string that happens to hold digits.
            #expect(String(buffer: response.body).contains("\"expires_in\":120"))
        }
    }

    @Test("the access token is tsr_at_, its expiry day, and 43 base64url characters (256 bits)")
    func tokenFormat() async throws {
        try await server.test { client in
            let token = try #require(try await client.requestToken().json?["access_token"] as? String)
            #expect(token.hasPrefix("tsr_at_"))
            let parts = token.dropFirst("tsr_at_".count).split(separator: ".")
            #expect(parts.count == 2)
            let expiryDay = Int(Date().addingTimeInterval(3600).timeIntervalSince1970 / 86_400)
            #expect(parts.first.flatMap { Int($0) } == expiryDay)
            let random = parts.last ?? ""
            #expect(random.count == 43)
            let base64URL = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            #expect(random.allSatisfy(base64URL.contains))
        }
    }

    @Test("each request gets a new token")
    func tokensDiffer() async throws {
        try await server.test { client in
            let first = try await client.requestToken().json?["access_token"] as? String
            let second = try await client.requestToken().json?["access_token"] as? String
            #expect(first != nil && first != second)
            #expect(server.store.tokens.count == 2)
        }
    }

    @Test("the store receives one IssuedToken: the token's hash, never the token; subject is the consumer key")
    func storedToken() async throws {
        try await server.test { client in
            let before = Date()
            let response = try await client.requestToken([("scope", "write read"), ("validity_period", "600")])
            let token = try #require(response.json?["access_token"] as? String)

            #expect(server.store.tokens.count == 1)
            let stored = try #require(server.store.tokens.first)
            #expect(stored.hash == TokenHash(of: token))
            #expect(stored.hash.bytes != Array(token.utf8))
            #expect(stored.tenantID == Tenants.acme.id)
            #expect(stored.applicationID == Applications.acme.application.id)
            #expect(stored.subject == Applications.acme.key)
            #expect(stored.grantType == "client_credentials")
            #expect(stored.scopes.tokens == ["read", "write"])
            #expect(stored.issuedAt >= before.addingTimeInterval(-1) && stored.issuedAt <= Date().addingTimeInterval(1))
            #expect(stored.expiresAt == stored.issuedAt.addingTimeInterval(600))
            for text in [String(describing: stored), String(reflecting: stored), "\(stored.hash)"] {
                #expect(!text.contains(token))
                #expect(!text.contains(String(token.dropFirst("tsr_at_".count))))
            }
        }
    }

    @Test("the default tenant's path issues for the default tenant")
    func defaultTenantPath() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken(path: Paths.defaultTenant))
            #expect(server.store.tokens.first?.tenantID == Tenants.acme.id)
        }
    }

    @Test("token store unavailable -> 503 temporarily_unavailable with Retry-After; recovers when it is back")
    func storeUnavailable() async throws {
        try await server.test { client in
            server.store.unavailable = true
            let refused = try await client.requestToken()
            expectOAuthError(refused, status: .serviceUnavailable, error: "temporarily_unavailable")
            let retryAfter = try #require(refused[header: "Retry-After"])
            #expect((Int(retryAfter) ?? 0) > 0, "Retry-After: \(retryAfter)")
            #expect(server.store.tokens.isEmpty)

            server.store.unavailable = false
            expectToken(try await client.requestToken())
            #expect(server.store.tokens.count == 1)
        }
    }
}
