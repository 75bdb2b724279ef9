import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TesseraCore
import TesseraPostgres
import Testing

/// No byte sequence gets a 500 (issue 14, item 5). PostgreSQL's text cannot hold a NUL: a NUL that reaches a
/// query makes it fail, and before this was checked the token endpoint answered such a request 500 server_error.
/// Each field that a request can carry to a query is tried with a NUL, and the body and the path with bytes that
/// are not UTF-8, against the real router and PostgreSQL.
@Suite("Hostile bytes", .timeLimit(.minutes(3)))
struct HostileBytesTests {
    struct Probe: Sendable, CustomTestStringConvertible {
        let name: String
        var path = "/t/acme.example/token"
        /// The Basic credentials, as raw bytes before base64 (empty: none); nil sends the application's own.
        var basic: [UInt8]? = nil
        let form: String
        /// The status a correct server answers.
        let expected: Int

        var testDescription: String { name }
    }

    static let assertionType = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"

    static let probes: [Probe] = [
        Probe(
            name: "client_id and client_secret with a NUL", basic: [],
            form: "grant_type=client_credentials&client_id=%00&client_secret=%00", expected: 401),
        Probe(
            name: "client_id with a NUL after a valid prefix", basic: [],
            form: "grant_type=client_credentials&client_id=abc%00def&client_secret=x", expected: 401),
        Probe(
            name: "HTTP Basic of NUL:NUL", basic: [0, 58, 0],
            form: "grant_type=client_credentials", expected: 401),
        Probe(
            name: "HTTP Basic of %00:%00", basic: Array("%00:%00".utf8),
            form: "grant_type=client_credentials", expected: 401),
        Probe(
            name: "grant_type with a NUL",
            form: "grant_type=client%00credentials", expected: 400),
        Probe(
            name: "scope with a NUL",
            form: "grant_type=client_credentials&scope=read%00", expected: 400),
        Probe(
            name: "username with a NUL",
            form: "grant_type=password&username=alice%00&password=secret", expected: 400),
        Probe(
            name: "refresh_token with a NUL",
            form: "grant_type=refresh_token&refresh_token=%00", expected: 400),
        Probe(
            name: "a body that is not UTF-8",
            form: "grant_type=client_credentials&scope=%FF", expected: 400),
        Probe(
            name: "introspected token with a NUL (RFC 7662: not active)", path: "/t/acme.example/introspect",
            form: "token=%00", expected: 200),
        Probe(
            name: "revoked token with a NUL (RFC 7009: 200 for any token)", path: "/t/acme.example/revoke",
            form: "token=abc%00", expected: 200),
        Probe(
            name: "token repeated at introspection (RFC 6749 §3.2)", path: "/t/acme.example/introspect",
            form: "token=a&token=b", expected: 400),
        Probe(
            name: "token repeated at revocation (RFC 6749 §3.2)", path: "/t/acme.example/revoke",
            form: "token=a&token=a", expected: 400),
        Probe(
            name: "tenant with a NUL", path: "/t/acme%00.example/token",
            form: "grant_type=client_credentials", expected: 404),
        Probe(
            name: "client_assertion with a NUL", basic: [],
            form: "grant_type=client_credentials&client_assertion_type=\(assertionType)&client_assertion=a%00b",
            expected: 401),
        Probe(
            name: "client_assertion whose sub and jti hold a NUL", basic: [],
            form:
                "grant_type=client_credentials&client_assertion_type=\(assertionType)&client_assertion=eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiAiYVx1MDAwMCIsICJzdWIiOiAiYVx1MDAwMCIsICJhdWQiOiAieCIsICJleHAiOiAxLCAianRpIjogImpcdTAwMDAifQ.AAAA",
            expected: 401),
        Probe(
            name: "client_assertion_type with a NUL", basic: [],
            form: "grant_type=client_credentials&client_assertion_type=urn%00&client_assertion=a.b.c", expected: 401),
        Probe(
            name: "tenant that is not UTF-8", path: "/t/acme%FF.example/token",
            form: "grant_type=client_credentials", expected: 404),
    ]

    @Test(
        "a NUL or a byte that is not UTF-8 in any field: the status a malformed request gets, never 500",
        arguments: probes)
    func hostileField(_ probe: Probe) async throws {
        try await TestDatabase.with { database in
            // The password and refresh grants too, so that their fields reach the directory and the ledger.
            let grants: Set<GrantType> = ["client_credentials", "password", "refresh_token"]
            _ = try await database.administration.createTenant(domain: "acme.example")
            let (application, secret) = try await database.administration.createApplication(
                tenant: "acme.example",
                settings: ApplicationSettings(
                    name: "hostile", grantTypes: grants, allowedScopes: "default read write",
                    supportedGrantTypes: grants))
            try await TokenService.with(client: database.client) { service in
                let basic = probe.basic ?? Array("\(application.consumerKey):\(secret)".utf8)
                var fields: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                if !basic.isEmpty { fields[.authorization] = "Basic " + Data(basic).base64EncodedString() }
                let headers = fields
                try await service.application.test(.router) { http in
                    try await http.execute(
                        uri: probe.path, method: .post, headers: headers, body: ByteBuffer(string: probe.form)
                    ) { response in
                        let body = String(buffer: response.body)
                        #expect(Int(response.status.code) == probe.expected, "\(probe.name): \(body)")
                        #expect(!body.contains("server_error"), "\(probe.name): \(body)")
                    }
                }
            }
        }
    }

    @Test(
        "discovery of a tenant with a NUL or a byte that is not UTF-8 is a 404, never 500", arguments: ["%00", "%FF"])
    func hostileDiscovery(_ byte: String) async throws {
        try await TestDatabase.with { database in
            _ = try await database.register()
            try await TokenService.with(client: database.client) { service in
                try await service.application.test(.router) { http in
                    try await http.execute(
                        uri: "/t/acme\(byte).example/.well-known/oauth-authorization-server", method: .get
                    ) { response in
                        #expect(response.status == .notFound, "\(String(buffer: response.body))")
                    }
                }
            }
        }
    }
}
