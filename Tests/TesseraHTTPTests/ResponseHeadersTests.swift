import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraCore
import TesseraTesting
import Testing

/// One kind of token endpoint response, and how to provoke it.
enum ResponseCase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case token, invalidRequest, invalidClient, unsupportedGrantType, unauthorizedClient, invalidScope, tooLarge,
        unknownTenant, methodNotAllowed, unknownPath, temporarilyUnavailable

    var testDescription: String { rawValue }

    var status: HTTPResponse.Status {
        switch self {
        case .token: .ok
        case .invalidClient: .unauthorized
        case .tooLarge: .contentTooLarge
        case .unknownTenant, .unknownPath: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .temporarilyUnavailable: .serviceUnavailable
        default: .badRequest
        }
    }

    func send(_ client: any TestClientProtocol, server: TestServer) async throws -> TestResponse {
        let basic = Form.basic(Applications.acme)
        switch self {
        case .token:
            return try await client.requestToken()
        case .invalidRequest:
            return try await client.postToken(body: "grant_type=client_credentials", contentType: nil)
        case .invalidClient:
            return try await client.postToken(form: Form.clientCredentials)
        case .unsupportedGrantType:
            return try await client.postToken(form: [("grant_type", "password")], authorization: basic)
        case .unauthorizedClient:
            return try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue), ("echo", "x")], authorization: basic)
        case .invalidScope:
            return try await client.requestToken([("scope", "admin")])
        case .tooLarge:
            return try await client.postToken(body: String(repeating: "a", count: 70_000), authorization: basic)
        case .unknownTenant:
            return try await client.requestToken(path: "/t/nowhere.com/token")
        case .methodNotAllowed:
            return try await client.execute(uri: Paths.acme, method: .get)
        case .unknownPath:
            return try await client.execute(uri: "/nope", method: .get)
        case .temporarilyUnavailable:
            server.store.unavailable = true
            return try await client.requestToken()
        }
    }
}

@Suite("Headers and body on every token endpoint response (RFC 6749 §5.1, §5.2)")
struct ResponseHeadersTests {
    @Test(
        "every response has Cache-Control: no-store, Pragma: no-cache, X-Frame-Options, nosniff and a JSON body",
        arguments: ResponseCase.allCases)
    func headers(_ responseCase: ResponseCase) async throws {
        let server = TestServer { registry, issuer in registry.register(EchoGrant(issuer: issuer)) }
        try await server.test { client in
            let response = try await responseCase.send(client, server: server)
            #expect(response.status == responseCase.status, "body: \(String(buffer: response.body))")
            expectOAuthHeaders(response)
        }
    }

    @Test(
        "every error body is exactly {error, error_description}",
        arguments: ResponseCase.allCases.filter { $0 != .token })
    func errorBody(_ responseCase: ResponseCase) async throws {
        let server = TestServer { registry, issuer in registry.register(EchoGrant(issuer: issuer)) }
        try await server.test { client in
            let response = try await responseCase.send(client, server: server)
            let keys = try #require(response.json).keys
            #expect(Set(keys) == ["error", "error_description"])
        }
    }

    @Test("only invalid_client challenges with WWW-Authenticate", arguments: ResponseCase.allCases)
    func challenge(_ responseCase: ResponseCase) async throws {
        let server = TestServer { registry, issuer in registry.register(EchoGrant(issuer: issuer)) }
        try await server.test { client in
            let response = try await responseCase.send(client, server: server)
            let expected = responseCase == .invalidClient ? "Basic realm=\"acme.com\"" : nil
            #expect(response[header: "WWW-Authenticate"] == expected)
        }
    }
}
