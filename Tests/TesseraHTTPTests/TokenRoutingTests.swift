import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraCore
import TesseraTesting
import Testing

@Suite("Token endpoint routes: tenants in the path, the default tenant, methods, unknown paths")
struct TokenRoutingTests {
    let server = TestServer()

    @Test(
        "POST /t/{tenant}/token issues for that tenant",
        arguments: [(Paths.acme, Applications.acme), (Paths.globex, Applications.globex)])
    func tenantPath(_ path: String, _ application: TestApplication) async throws {
        try await server.test { client in
            expectToken(try await client.requestToken(as: application, path: path))
            #expect(server.store.tokens.first?.tenantID == application.application.tenantID)
        }
    }

    @Test("the tenant in the path is case-insensitive")
    func tenantCase() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken(path: "/t/ACME.Com/token"))
        }
    }

    @Test("POST /token uses the configured default tenant")
    func defaultTenant() async throws {
        try await TestServer(defaultTenant: "globex.com").test { client in
            expectToken(try await client.requestToken(as: Applications.globex, path: Paths.defaultTenant))
            let refused = try await client.requestToken(as: Applications.acme, path: Paths.defaultTenant)
            expectInvalidClient(refused, realm: "globex.com")
        }
    }

    @Test("POST /token without a default tenant -> 404")
    func noDefaultTenant() async throws {
        try await TestServer(defaultTenant: nil).test { client in
            let response = try await client.requestToken(path: Paths.defaultTenant)
            expectOAuthError(response, status: .notFound, error: "not_found")
        }
    }

    @Test("POST /token with a disabled or unknown default tenant -> 404", arguments: ["closed.com", "nowhere.com"])
    func unusableDefaultTenant(_ domain: String) async throws {
        try await TestServer(defaultTenant: domain).test { client in
            let response = try await client.requestToken(path: Paths.defaultTenant)
            expectOAuthError(response, status: .notFound, error: "not_found")
        }
    }

    @Test(
        "unknown, disabled or malformed tenant -> 404, the same answer for each",
        arguments: ["nowhere.com", "closed.com", "acme", "bad_domain", "-acme.com", "acme..com"])
    func unknownTenant(_ tenant: String) async throws {
        try await server.test { client in
            let response = try await client.requestToken(path: "/t/\(tenant)/token")
            expectOAuthError(response, status: .notFound, error: "not_found")
            #expect(response.errorDescription == "unknown tenant")
            #expect(response[header: "WWW-Authenticate"] == nil)
        }
    }

    @Test(
        "GET, PUT, DELETE, PATCH, OPTIONS on the token paths -> 405 with Allow: POST",
        arguments: [Paths.acme, Paths.defaultTenant, "/t/nowhere.com/token"],
        [HTTPRequest.Method.get, .put, .delete, .patch, .options])
    func methodNotAllowed(_ path: String, _ method: HTTPRequest.Method) async throws {
        try await server.test { client in
            let response = try await client.execute(
                uri: path, method: method, headers: [.contentType: Form.contentType],
                body: ByteBuffer(string: Form.body(Form.clientCredentials)))
            expectOAuthError(response, status: .methodNotAllowed, error: "invalid_request")
            #expect(response[header: "Allow"] == "POST")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test(
        "unknown path -> 404 JSON",
        arguments: [
            ("/", HTTPRequest.Method.get), ("/nope", .post), ("/t/acme.com", .post), ("/t/acme.com/authorize", .get),
            ("/t/acme.com/token/extra", .post), ("/t//token", .post), ("/tokens", .post),
        ])
    func unknownPath(_ path: String, _ method: HTTPRequest.Method) async throws {
        try await server.test { client in
            let response = try await client.execute(
                uri: path, method: method, headers: [.contentType: Form.contentType],
                body: ByteBuffer(string: Form.body(Form.clientCredentials)))
            expectOAuthError(response, status: .notFound, error: "not_found")
        }
    }
}
