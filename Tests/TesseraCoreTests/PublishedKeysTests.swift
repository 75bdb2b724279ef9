import Foundation
import Logging
import Synchronization
import TesseraTesting
import Testing

@testable import TesseraCore

/// private_key_jwt with keys the client publishes (`jwks_uri`): the authenticator asks `PublishedKeySets`, and asks
/// for a refresh only when the assertion names a `kid` the set it got lacks.
@Suite("Published client keys (jwks_uri)")
struct PublishedKeysTests {
    /// A client's published set, swapped by the test; records what it was asked.
    final class Publisher: PublishedKeySets {
        let published: Mutex<(current: ClientKeySet?, cached: ClientKeySet?, asks: [Bool])> = Mutex((nil, nil, []))

        /// The set a cache would answer: the one fetched first, until a refresh fetches the current one.
        func keySet(at url: String, refresh: Bool) async throws -> ClientKeySet {
            try published.withLock { state in
                state.asks.append(refresh)
                if state.cached == nil || refresh { state.cached = state.current }
                guard let keys = state.cached else { throw Unreachable() }
                return keys
            }
        }

        struct Unreachable: Error {}
    }

    @Test("the published keys authenticate; a rotated key is fetched again once; an unreachable set is invalid_client")
    func rotation() async throws {
        let clock = TestClock()
        let directory = InMemoryClientDirectory()
        let tenant = Fixtures.tenant()
        let publisher = Publisher()
        let application = Fixtures.application(
            authentication: try ClientAuthentication(
                methods: [.privateKeyJWT], keys: nil, keysURL: "https://agent.example/jwks.json"))
        #expect(application.clientKeysURL == "https://agent.example/jwks.json")
        directory.put(tenant)
        directory.put(application)
        let authenticator = ClientAuthenticator(
            directory: directory,
            assertions: ClientAssertionCheck(
                issuer: IssuerURL(base: "https://auth.example"), ledger: InMemoryClientAssertionLedger(),
                published: publisher),
            now: { clock.now })
        func attempt(_ key: TestClientKey) async -> OAuthError.Code? {
            let assertion = key.sign(
                TestClientKey.claims(
                    client: application.consumerKey, audience: "https://auth.example/t/\(tenant.domain)",
                    now: clock.now))
            let request = TokenRequest(
                tenantDomain: tenant.domain, authorization: nil,
                form: TokenRequestParameters([
                    "grant_type": "client_credentials", "client_assertion_type": ClientAssertion.type,
                    "client_assertion": assertion,
                ]), queryParameterNames: [])
            do {
                _ = try await authenticator.authenticate(request, tenant: tenant, logger: Logger(label: "test"))
                return nil
            } catch let error as OAuthError {
                return error.code
            } catch {
                return .serverError
            }
        }

        #expect(await attempt(TestClientKey(.es256, kid: "old")) == .invalidClient, "nothing published yet")
        let old = TestClientKey(.es256, kid: "old")
        let new = TestClientKey(.edDSA, kid: "new")
        publisher.published.withLock { $0.current = try? ClientKeySet(json: TestClientKey.jwks([old])) }
        #expect(await attempt(old) == nil)
        #expect(publisher.published.withLock { $0.asks }.suffix(1) == [false])

        // The client publishes a new key and signs with it: the authenticator asks for a refresh, once.
        publisher.published.withLock { $0.current = try? ClientKeySet(json: TestClientKey.jwks([new])) }
        #expect(await attempt(new) == nil)
        #expect(publisher.published.withLock { $0.asks }.suffix(2) == [false, true])
        // A kid the set has costs no refresh; a forged key with a known kid is refused without one.
        #expect(await attempt(new) == nil)
        #expect(await attempt(TestClientKey(.edDSA, kid: "new")) == .invalidClient)
        #expect(publisher.published.withLock { $0.asks }.suffix(2) == [false, false])
    }

    @Test("jwks_uri: https (http only on a loopback host), never beside a registered set, only for private_key_jwt")
    func settings() throws {
        let keys = try ClientKeySet(json: TestClientKey.jwks([TestClientKey(.es256, kid: "k")]))
        for bad in ["http://agent.example/jwks", "ftp://agent.example/jwks", "https://agent.example/jwks#x", "jwks"] {
            #expect(throws: ApplicationSettingsError.self) {
                try ClientAuthentication(methods: [.privateKeyJWT], keys: nil, keysURL: bad)
            }
        }
        #expect(throws: ApplicationSettingsError.self) {
            try ClientAuthentication(methods: [.privateKeyJWT], keys: keys, keysURL: "https://agent.example/jwks")
        }
        #expect(throws: ApplicationSettingsError.self) {
            try ClientAuthentication(methods: [.clientSecretBasic], keys: nil, keysURL: "https://agent.example/jwks")
        }
        let local = try ClientAuthentication(methods: [.privateKeyJWT], keys: nil, keysURL: "http://127.0.0.1:9/k")
        #expect(local.keysURL == "http://127.0.0.1:9/k")
        // set-auth without a new source keeps the stored URL while private_key_jwt stays; moving to secrets drops it.
        let kept = try ClientAuthentication.chosen(
            methods: [.privateKeyJWT, .clientSecretBasic], given: nil, stored: local)
        #expect(kept.keysURL == local.keysURL && kept.keys == nil)
        let dropped = try ClientAuthentication.chosen(methods: nil, given: nil, stored: local)
        #expect(dropped.keysURL == nil)
    }
}
