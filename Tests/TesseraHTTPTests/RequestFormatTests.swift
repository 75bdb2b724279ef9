import HTTPTypes
import HummingbirdTesting
import TesseraHTTP
import TesseraTesting
import Testing

@Suite("The token request's form: media type, size, repeated and misplaced parameters (RFC 6749 §3.2)")
struct RequestFormatTests {
    let server = TestServer()

    @Test(
        "application/x-www-form-urlencoded, in any case, with or without a charset -> accepted",
        arguments: [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=UTF-8",
            "application/x-www-form-urlencoded;charset=utf-8",
            "APPLICATION/X-WWW-FORM-URLENCODED",
            "Application/X-Www-Form-Urlencoded ; Charset=\"UTF-8\"",
        ])
    func formMediaType(_ contentType: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(
                body: Form.body(Form.clientCredentials), contentType: contentType,
                authorization: Form.basic(Applications.acme))
            expectToken(response)
        }
    }

    @Test(
        "any other media type -> invalid_request",
        arguments: [
            "application/json", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencodedx",
            "application/x-www-form-urlencoded-extra", "x-www-form-urlencoded", "application/*", "",
        ])
    func otherMediaType(_ contentType: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(
                body: Form.body(Form.clientCredentials), contentType: contentType,
                authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("no Content-Type -> invalid_request")
    func noContentType() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                body: Form.body(Form.clientCredentials), contentType: nil, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("a JSON body -> invalid_request")
    func jsonBody() async throws {
        try await server.test { client in
            let response = try await client.postToken(
                body: #"{"grant_type":"client_credentials"}"#, contentType: "application/json",
                authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("no body at all -> invalid_request (grant_type missing)")
    func noBody() async throws {
        try await server.test { client in
            let response = try await client.postToken(bytes: nil, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test(
        "a parameter given twice -> invalid_request",
        arguments: [
            "grant_type=client_credentials&grant_type=client_credentials",
            "grant_type=client_credentials&grant_type=password",
            "grant_type=client_credentials&grant%5Ftype=client_credentials",
            "grant_type=client_credentials&scope=read&scope=write",
            "grant_type=client_credentials&scope=&scope=read",
            "grant_type=client_credentials&validity_period=60&validity_period=60",
            "grant_type=client_credentials&client_id=a&client_id=a",
            "grant_type=client_credentials&unknown=1&unknown=2",
        ])
    func repeatedParameter(_ body: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(body: body, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test("client_secret and client_id repeated in a client_secret_post request -> invalid_request")
    func repeatedCredentials() async throws {
        try await server.test { client in
            let credentials = Form.credentials(Applications.acme)
            let response = try await client.postToken(form: Form.clientCredentials + credentials + credentials)
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test(
        "credentials or token parameters in the query string -> invalid_request",
        arguments: [
            "?client_secret=s3cr3t", "?client_id=pBzuIZhGphfQmdcUX0lneFiiuxwa", "?grant_type=client_credentials",
            "?scope=read", "?validity_period=60", "?client_secret=", "?client_secret", "?x=1&client_secret=s",
        ])
    func parametersInQuery(_ query: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(
                path: Paths.acme + query, form: Form.clientCredentials, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
            #expect(server.store.tokens.isEmpty)
        }
    }

    // Hummingbird decodes query values, not names: the names must be decoded before the check.
    @Test(
        "credentials in the query string with a percent-encoded name -> invalid_request",
        arguments: ["?client%5Fsecret=s3cr3t", "?client%5fid=pBzuIZhGphfQmdcUX0lneFiiuxwa", "?grant%5Ftype=x"])
    func percentEncodedParametersInQuery(_ query: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(
                path: Paths.acme + query, form: Form.clientCredentials, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("an unrelated query parameter -> token")
    func unrelatedQuery() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken(path: Paths.acme + "?trace=1"))
        }
    }

    @Test("unknown body parameters are ignored (§3.2) -> token")
    func unknownParameters() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken([("audience", "x"), ("claims", "{}")]))
        }
    }

    @Test("a body of exactly 64 KiB is read -> token")
    func bodyAtLimit() async throws {
        try await server.test { client in
            let body = Form.body(Form.clientCredentials) + "&pad="
            let padded = body + String(repeating: "x", count: TokenRoutes.maximumBodySize - body.utf8.count)
            #expect(padded.utf8.count == 64 * 1024)
            expectToken(try await client.postToken(body: padded, authorization: Form.basic(Applications.acme)))
        }
    }

    @Test("a body over 64 KiB -> 413", arguments: [64 * 1024 + 1, 1024 * 1024])
    func bodyTooLarge(_ size: Int) async throws {
        try await server.test { client in
            let body = Form.body(Form.clientCredentials) + "&pad="
            let padded = body + String(repeating: "x", count: size - body.utf8.count)
            let response = try await client.postToken(body: padded, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .contentTooLarge, error: "invalid_request")
            #expect(server.store.tokens.isEmpty)
        }
    }

    @Test(
        "garbage bodies -> 400 invalid_request, never a 500",
        arguments: [
            [0xFF, 0xFE, 0xFD], Array("grant_type=client_credentials&x=\u{FFFD}".utf8) + [0xC3],
            Array("%zz=1".utf8), Array("grant_type=%zz".utf8), Array("grant_type=%".utf8), Array("a%=1".utf8),
            Array("a[b]=c".utf8), Array("grant_type=client_credentials&a[b]=c".utf8), Array("a[]=1&a[]=2".utf8),
            Array("a[=b".utf8), Array("a]=b".utf8), Array("[]=x".utf8), Array("x[0][1]=y".utf8),
            Array("=".utf8), Array("&&&".utf8), Array("====&&==".utf8), Array("%00=%00".utf8),
            Array(("x" + String(repeating: "[a]", count: 100) + "=1").utf8),
            Array((String(repeating: "k", count: 60_000) + "=v").utf8),
            Array(String(repeating: "&", count: 60_000).utf8),
        ] as [[UInt8]])
    func garbage(_ bytes: [UInt8]) async throws {
        try await server.test { client in
            let response = try await client.postToken(bytes: bytes, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    // Percent-encoded bytes must decode to UTF-8; otherwise the form is malformed.
    @Test(
        "percent-encoded bytes that are not UTF-8 -> invalid_request",
        arguments: ["grant_type=%E2%82", "grant_type=client_credentials&x=%FF", "grant_type=client_credentials&%C3=1"])
    func percentEncodedInvalidUTF8(_ body: String) async throws {
        try await server.test { client in
            let response = try await client.postToken(body: body, authorization: Form.basic(Applications.acme))
            expectOAuthError(response, status: .badRequest, error: "invalid_request")
        }
    }

    @Test("a very long unknown parameter name beside a valid request is ignored -> token")
    func longUnknownKey() async throws {
        try await server.test { client in
            expectToken(try await client.requestToken([(String(repeating: "k", count: 60_000), "v")]))
        }
    }
}
