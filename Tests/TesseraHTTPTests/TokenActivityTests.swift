import HTTPTypes
import HummingbirdTesting
import Synchronization
import TesseraCore
import Testing

/// What the console's daily charts count: per application, tokens issued and requests refused to an application
/// the request identified; nothing for a key no application has, nor for the server's own failures.
@Suite("Token activity")
struct TokenActivityTests {
    final class Recorder: TokenActivity {
        let counts = Mutex([String: (issued: Int, refused: Int)]())

        func issued(to application: ClientApplication) {
            counts.withLock { $0[application.consumerKey, default: (0, 0)].issued += 1 }
        }

        func refused(_ application: ClientApplication) {
            counts.withLock { $0[application.consumerKey, default: (0, 0)].refused += 1 }
        }

        func of(_ application: TestApplication) -> (issued: Int, refused: Int) {
            counts.withLock { $0[application.key] ?? (0, 0) }
        }
        var keys: Set<String> { counts.withLock { Set($0.keys) } }
    }

    @Test("issued tokens and refusals are counted for the application they name, nothing else")
    func countsPerApplication() async throws {
        let recorder = Recorder()
        let server = TestServer(activity: recorder) { registry, issuer in registry.register(EchoGrant(issuer: issuer)) }
        try await server.test { client in
            #expect(try await client.requestToken().status == .ok)
            #expect(try await client.requestToken([("scope", "read")]).status == .ok)
            // Refused to an identified application: a scope it may not have, a grant type it may not use, a wrong
            // secret, and the disabled application's right secret.
            #expect(try await client.requestToken([("scope", "admin")]).status == .badRequest)
            let echo = try await client.postToken(
                form: [("grant_type", EchoGrant.grantType.rawValue)], authorization: Form.basic(Applications.acme))
            #expect(echo.status == .badRequest)
            // A grant type the server does not have is refused before any client is identified.
            let password = try await client.postToken(
                form: [("grant_type", "password"), ("username", "u"), ("password", "p")],
                authorization: Form.basic(Applications.acme))
            #expect(password.status == .badRequest)
            let wrong = TestApplication(id: 1, key: Applications.acme.key, secret: "not the secret")
            #expect(try await client.requestToken(as: wrong).status == .unauthorized)
            #expect(try await client.requestToken(as: Applications.disabled).status == .unauthorized)
            // Named by no application of the tenant: counted nowhere.
            let unknown = TestApplication(id: 99, key: "unknownUnknownUnknownUnknown", secret: "x")
            #expect(try await client.requestToken(as: unknown).status == .unauthorized)
            let elsewhere = try await client.requestToken(as: Applications.globex)
            #expect(elsewhere.status == .unauthorized)
        }
        #expect(recorder.of(Applications.acme) == (issued: 2, refused: 3))
        #expect(recorder.of(Applications.disabled) == (issued: 0, refused: 1))
        #expect(recorder.keys == [Applications.acme.key, Applications.disabled.key])
    }
}
