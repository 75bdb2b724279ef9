import Crypto
import Foundation
import Logging
import TesseraTesting
import Testing

@testable import TesseraCore

/// private_key_jwt (RFC 7523 §2.2 and §3, issue 14): each rule on its own, with assertions signed here by
/// swift-crypto keys (the end-to-end test signs them with PyJWT). Every refusal is the same invalid_client.
@Suite("Client assertions (private_key_jwt)")
struct ClientAssertionTests {
    static let issuer = IssuerURL(base: "https://auth.example")
    let clock = TestClock()
    let directory = InMemoryClientDirectory()
    let ledger = InMemoryClientAssertionLedger()
    let tenant = Fixtures.tenant()
    let key = TestClientKey(.es256, kid: "k1")
    let application: ClientApplication
    let authenticator: ClientAuthenticator
    var client: String { application.consumerKey }
    var audience: String { Self.issuer.url(for: tenant) }

    init() throws {
        application = Fixtures.application(
            authentication: try ClientAuthentication(
                methods: [.privateKeyJWT], keys: try ClientKeySet(json: TestClientKey.jwks([key]))))
        directory.put(tenant)
        directory.put(application)
        let clock = clock
        authenticator = ClientAuthenticator(
            directory: directory, assertions: ClientAssertionCheck(issuer: Self.issuer, ledger: ledger),
            now: { clock.now })
    }

    /// Nil when the request authenticates; else the error code and the detail (for the test's eyes only).
    func attempt(_ form: [String: String], authorization: String? = nil) async -> (OAuthError.Code, String)? {
        var fields = form
        fields["grant_type"] = "client_credentials"
        let request = TokenRequest(
            tenantDomain: tenant.domain, authorization: authorization, form: TokenRequestParameters(fields),
            queryParameterNames: [])
        do {
            let found = try await authenticator.authenticate(request, tenant: tenant, logger: Logger(label: "test"))
            #expect(found?.id == application.id)
            return nil
        } catch let error as OAuthError {
            return (error.code, error.description)
        } catch {
            Issue.record("unexpected \(error)")
            return (.serverError, "\(error)")
        }
    }

    func form(_ assertion: String) -> [String: String] {
        ["client_assertion_type": ClientAssertion.type, "client_assertion": assertion]
    }

    func claims(_ change: (inout [String: Any]) -> Void = { _ in }) -> [String: Any] {
        var claims = TestClientKey.claims(client: client, audience: audience, now: clock.now)
        change(&claims)
        return claims
    }

    @Test("ES256, EdDSA, RS256 and PS256 assertions authenticate; the token endpoint URL is an accepted audience")
    func everyAlgorithm() async throws {
        for kind in [TestClientKey.Kind.es256, .edDSA, .rs256, .ps256] {
            let signer = TestClientKey(kind)
            let application = Fixtures.application(
                id: 7, consumerKey: "client\(signer.algorithm)".padding(toLength: 28, withPad: "0", startingAt: 0),
                authentication: try ClientAuthentication(
                    methods: [.privateKeyJWT], keys: try ClientKeySet(json: TestClientKey.jwks([signer]))))
            directory.put(application)
            for audience in [audience, audience + "/token"] {
                let assertion = signer.sign(
                    TestClientKey.claims(client: application.consumerKey, audience: audience, now: clock.now))
                let request = TokenRequest(
                    tenantDomain: tenant.domain, authorization: nil,
                    form: TokenRequestParameters(form(assertion).merging(["grant_type": "client_credentials"]) { $1 }),
                    queryParameterNames: [])
                let found = try await authenticator.authenticate(request, tenant: tenant, logger: Logger(label: "t"))
                #expect(found?.consumerKey == application.consumerKey, "\(signer.algorithm) at \(audience)")
            }
        }
    }

    @Test("a replayed assertion is refused, and a refused one does not use up its jti")
    func replay() async {
        let assertion = key.sign(claims())
        let forged = TestClientKey(.es256, kid: "k1").sign(claims { $0["jti"] = "same" })
        #expect(await attempt(form(forged))?.0 == .invalidClient)
        #expect(await attempt(form(assertion)) == nil)
        #expect(await attempt(form(assertion))?.0 == .invalidClient, "the second use")
        #expect(await attempt(form(key.sign(claims { $0["jti"] = "same" }))) == nil, "the forgery used nothing up")
    }

    @Test("iss and sub must both be the client; a client_id beside them must match")
    func issuerAndSubject() async {
        #expect(await attempt(form(key.sign(claims { $0["iss"] = "someone-else" })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["sub"] = "someone-else" })))?.0 == .invalidClient)
        var mismatched = form(key.sign(claims()))
        mismatched["client_id"] = "someone-else"
        #expect(await attempt(mismatched)?.0 == .invalidClient)
        var matching = form(key.sign(claims()))
        matching["client_id"] = client
        #expect(await attempt(matching) == nil)
    }

    @Test("aud must be this tenant's issuer or its token endpoint; not another tenant, not introspection")
    func audience() async {
        for wrong in [
            "https://auth.example/t/globex.example", audience + "/introspect", "https://evil.example/t/acme.com",
            audience + "/",
        ] {
            #expect(await attempt(form(key.sign(claims { $0["aud"] = wrong }))) != nil, "\(wrong)")
        }
        #expect(await attempt(form(key.sign(claims { $0["aud"] = ["https://other.example", audience] }))) == nil)
        #expect(await attempt(form(key.sign(claims { $0["aud"] = nil })))?.0 == .invalidClient)
    }

    @Test("exp is required, honoured with 60 s of skew, and at most 10 minutes ahead; nbf and iat too")
    func times() async {
        let now = clock.now.timeIntervalSince1970
        #expect(await attempt(form(key.sign(claims { $0["exp"] = nil })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["exp"] = "\(Int(now) + 60)" })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["exp"] = Int(now) - 61 })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["exp"] = Int(now) - 30 }))) == nil, "within the skew")
        #expect(await attempt(form(key.sign(claims { $0["exp"] = Int(now) + 3600 })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["exp"] = Int(now) + 600 }))) == nil)
        #expect(await attempt(form(key.sign(claims { $0["nbf"] = Int(now) + 120 })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["iat"] = Int(now) + 120 })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["nbf"] = Int(now) + 30 }))) == nil, "within the skew")
        let assertion = key.sign(claims())
        clock.advance(by: 121)
        #expect(await attempt(form(assertion))?.0 == .invalidClient, "expired since it was made")
    }

    @Test("jti is required; only asymmetric algorithms; never none, never HMAC keyed with the public key")
    func algorithmsAndJTI() async throws {
        #expect(await attempt(form(key.sign(claims { $0["jti"] = nil })))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims { $0["jti"] = "" })))?.0 == .invalidClient)
        let unsigned = key.sign(claims(), header: ["alg": "none"])
        #expect(
            await attempt(form(String(unsigned.prefix { $0 != "." }) + "." + unsigned.split(separator: ".")[1] + "."))
                != nil)
        #expect(await attempt(form(unsigned))?.0 == .invalidClient)
        // HS256 with the public JWK's bytes as the HMAC key: the classic confusion.
        let publicBytes = try JSONSerialization.data(withJSONObject: key.publicJWK(), options: [.sortedKeys])
        let header = Base64URL.encode(try JSONSerialization.data(withJSONObject: ["alg": "HS256", "kid": "k1"]))
        let body = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims()))
        let mac = Data(
            HMAC<SHA256>.authenticationCode(for: Data("\(header).\(body)".utf8), using: SymmetricKey(data: publicBytes))
        )
        #expect(await attempt(form("\(header).\(body).\(Base64URL.encode(mac))"))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims(), header: ["crit": ["exp"]])))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims(), header: ["kid": "unknown"])))?.0 == .invalidClient)
        #expect(await attempt(form(key.sign(claims(), header: ["alg": "EdDSA"])))?.0 == .invalidClient, "P-256 key")
    }

    @Test("the assertion type must be exact, the method allowed, and one method only")
    func methods() async throws {
        var wrongType = form(key.sign(claims()))
        wrongType["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
        #expect(await attempt(wrongType)?.0 == .invalidClient)
        #expect(await attempt(["client_assertion_type": ClientAssertion.type])?.0 == .invalidClient)
        var withSecret = form(key.sign(claims()))
        withSecret["client_secret"] = "x"
        #expect(await attempt(withSecret)?.0 == .invalidRequest)
        #expect(await attempt(form(key.sign(claims())), authorization: "Basic eDp5")?.0 == .invalidRequest)
        // This application allows private_key_jwt only: its secret is refused.
        #expect(
            await attempt(["client_id": client, "client_secret": "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr"])?.0
                == .invalidClient)
        // And one allowing secrets only refuses assertions, even with keys known elsewhere.
        let secretsOnly = Fixtures.application(id: 9, consumerKey: "secretsOnlySecretsOnly000001")
        directory.put(secretsOnly)
        let claimsOfOther = TestClientKey.claims(
            client: "secretsOnlySecretsOnly000001", audience: audience, now: clock.now)
        #expect(await attempt(form(key.sign(claimsOfOther)))?.0 == .invalidClient)
    }

    @Test("malformed assertions of every kind are invalid_client, never a crash")
    func malformed() async {
        for text in [
            "", "a", "a.b", "a.b.c", "..", "a.b.c.d", String(repeating: "A", count: 9000),
            key.sign(claims()).replacingOccurrences(of: ".", with: ".="), "e30.e30.AA",
        ] {
            #expect(await attempt(form(text))?.0 == .invalidClient, "\(text.prefix(40))")
        }
    }

    @Test("JWK sets: private keys, symmetric keys, small RSA keys, unknown curves and duplicates are refused")
    func keySets() throws {
        let good = key.publicJWK()
        func refused(_ keys: [[String: Any]]) -> Bool {
            let json = String(decoding: try! JSONSerialization.data(withJSONObject: ["keys": keys]), as: UTF8.self)
            return (try? ClientKeySet(json: json)) == nil
        }
        #expect(!refused([good]))
        #expect(refused([]))
        #expect(refused([good.merging(["d": "AAAA"]) { $1 }]))
        #expect(refused([["kty": "oct", "k": "c2VjcmV0"]]))
        #expect(refused([good.merging(["crv": "P-384"]) { $1 }]))
        #expect(refused([good.merging(["use": "enc"]) { $1 }]))
        #expect(refused([good.merging(["alg": "HS256"]) { $1 }]))
        #expect(refused([good, good]), "two keys with one kid")
        #expect(
            refused([["kty": "RSA", "n": Base64URL.encode(Data(repeating: 0xC1, count: 128)), "e": "AQAB"]]))
        #expect((try? ClientKeySet(json: "not json")) == nil)
        #expect(throws: ApplicationSettingsError.self) {
            try ClientAuthentication(methods: [.privateKeyJWT], keys: nil)
        }
    }
}
