import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraCore
import TesseraTesting
import Testing

@Suite("Client authentication at the token endpoint (RFC 6749 §2.3.1, §3.2.1)")
struct ClientAuthenticationTests {
    let server = TestServer()

    @Test("client_secret_basic with the right key and secret -> token")
    func basic() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken(as: Applications.acme))
        }
    }

    @Test("client_secret_post with client_id and client_secret in the body -> token")
    func post() async throws {
        try await server.test { client in
            expectToken(try await client.postToken(form: Form.clientCredentials + Form.credentials(Applications.acme)))
        }
    }

    @Test("Basic halves are form-urldecoded: a secret with ' ', '+', '%', ':', '&', '=' and non-ASCII")
    func basicIsFormDecoded() async throws {
        try await server.test { client in
            let response = try await client.requestToken(as: Applications.awkward)
            expectToken(response)
            #expect(server.store.tokens.first?.subject == Applications.awkward.key)
        }
    }

    @Test("client_secret_post with an awkward secret, form-encoded in the body -> token")
    func postWithAwkwardCredentials() async throws {
        try await server.test { client in
            let form = Form.clientCredentials + Form.credentials(Applications.awkward)
            expectToken(try await client.postToken(form: form))
        }
    }

    @Test("Basic credentials not form-encoded: '+' reads as a space, so the secret is wrong -> invalid_client")
    func basicNotEncoded() async throws {
        try await server.test { client in
            let header = Form.rawBasic("\(Applications.awkward.key):\(Applications.awkward.secret)")
            expectInvalidClient(try await client.postToken(form: Form.clientCredentials, authorization: header))
        }
    }

    @Test("the Basic scheme name is case-insensitive")
    func basicSchemeCase() async throws {
        try await server.test { client in
            let header = "bAsIc " + Form.basic(Applications.acme).dropFirst("Basic ".count)
            expectToken(try await client.postToken(form: Form.clientCredentials, authorization: header))
        }
    }

    @Test("Basic and client_secret in the body at once -> invalid_request")
    func bothMethods() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: Form.clientCredentials + Form.credentials(Applications.acme),
                authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("Basic with the same client_id in the body -> token")
    func basicWithMatchingClientID() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: Form.clientCredentials + [("client_id", Applications.acme.key)],
                authorization: Form.basic(Applications.acme))
            expectToken(response)
        }
    }

    @Test("Basic with a different client_id in the body -> invalid_request")
    func basicWithOtherClientID() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: Form.clientCredentials + [("client_id", Applications.globex.key)],
                authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("client_secret without client_id -> invalid_request")
    func secretWithoutID() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                form: Form.clientCredentials + [("client_secret", Applications.acme.secret)])
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("no client authentication at all -> invalid_client")
    func none() async throws {
        try await server.test { client in
            expectInvalidClient(try await client.postToken(form: Form.clientCredentials))
        }
    }

    @Test("client_id without a secret (a public client) -> invalid_client")
    func idWithoutSecret() async throws {
        try await server.test { client in
            expectInvalidClient(
                try await client.postToken(form: Form.clientCredentials + [("client_id", Applications.acme.key)]))
        }
    }

    @Test(
        "unknown key, wrong secret, disabled application, other tenant's application -> invalid_client, same text",
        arguments: [
            ("unknown key", Form.basic("noSuchKeyNoSuchKeyNoSuchKey0", "whatever")),
            ("wrong secret", Form.basic(Applications.acme.key, "not-the-secret")),
            ("empty secret", Form.basic(Applications.acme.key, "")),
            ("secret of another application", Form.basic(Applications.acme.key, Applications.globex.secret)),
            ("disabled application", Form.basic(Applications.disabled)),
            ("application of another tenant", Form.basic(Applications.globex)),
        ])
    func refusedBasic(_ situation: String, _ authorization: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(form: Form.clientCredentials, authorization: authorization)
            expectInvalidClient(response)
            // One description for every failure, so that a caller cannot tell a known key from an unknown one.
            #expect(response.errorDescription == "client authentication failed", "\(situation)")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test(
        "the same refusals through client_secret_post -> invalid_client",
        arguments: [
            [("client_id", "noSuchKeyNoSuchKeyNoSuchKey0"), ("client_secret", "whatever")],
            [("client_id", Applications.acme.key), ("client_secret", "not-the-secret")],
            Form.credentials(Applications.disabled),
            Form.credentials(Applications.globex),
        ])
    func refusedPost(_ credentials: [(String, String)]) async throws {
        try await server.test { client in
            expectInvalidClient(try await client.postToken(form: Form.clientCredentials + credentials))
        }
    }

    @Test("an application authenticates at its own tenant: globex's application at /t/globex.com/token -> token")
    func otherTenantAtHome() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken(as: Applications.globex, path: Paths.globex))
            #expect(server.store.tokens.first?.tenantID == Tenants.globex.id)
        }
    }

    @Test("acme's application at /t/globex.com/token -> invalid_client in globex's realm")
    func realmNamesTheTenant() async throws {
        try await server.test { client in
            expectInvalidClient(
                try await client.requestToken(as: Applications.acme, path: Paths.globex), realm: "globex.com")
        }
    }

    @Test("the realm is the tenant's normalized domain, whatever case the path used")
    func realmIsNormalized() async throws {
        try await server.test { client in
            let response = try await client.postToken(path: "/t/ACME.com/token", form: Form.clientCredentials)
            expectInvalidClient(response, realm: "acme.com")
        }
    }

    @Test(
        "malformed Authorization header -> invalid_client",
        arguments: [
            "Basic !!!not-base64!!!",
            "Basic " + String(repeating: "A", count: 5),
            Form.rawBasic("no-colon-at-all"),
            Form.rawBasic(":secret-without-key"),
            Form.rawBasic("key%zz:secret"),
            Form.rawBasic("key:secret%"),
            "Basic",
            "Basic ",
            "Bearer abc.def.ghi",
            "Digest username=\"x\"",
            "Basic " + String(repeating: "QUFB", count: 1000),
        ])
    func malformedAuthorization(_ authorization: String) async throws {
        try await server.test { client in
            expectInvalidClient(try await client.postToken(form: Form.clientCredentials, authorization: authorization))
        }
    }

    @Test("Basic whose decoded bytes are not UTF-8 -> invalid_client")
    func basicNotUTF8() async throws {
        try await server.test { client in
            let header = "Basic " + Data([0xFF, 0xFE, 0x3A, 0x61]).base64EncodedString()
            expectInvalidClient(try await client.postToken(form: Form.clientCredentials, authorization: header))
        }
    }

    @Test("a consumer key Tessera never makes (not 28 letters and digits) is invalid_client")
    func impossibleKeyNotLookedUp() async throws {
        try await server.test { client in
            for key in ["short", "key with:+%&=", "pBzuIZhGphfQmdcUX0lneFiiuxwa1", "pBzuIZhGphfQmdcUX0lneFiiuxw-"] {
                let header = Form.basic(key, Applications.acme.secret)
                expectInvalidClient(try await client.postToken(form: Form.clientCredentials, authorization: header))
            }
        }
    }
}
