import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TesseraCore
import TesseraPostgres
import TesseraTesting
import Testing

/// private_key_jwt on PostgreSQL (issue 14): an assertion is single-use on every instance, and purge removes the
/// used ids once their assertions have expired.
@Suite("Client assertions on PostgreSQL", .timeLimit(.minutes(3)))
struct ClientAssertionDatabaseTests {
    static let audience = TokenService.issuer.base + "/t/acme.example"

    static func token(_ service: TokenService, assertion: String) async throws -> (HTTPResponse.Status, TokenBody) {
        let form =
            "grant_type=client_credentials&client_assertion_type="
            + ClientAssertion.type.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&client_assertion=\(assertion)"
        return try await service.application.test(.router) { http in
            try await http.execute(
                uri: "/t/acme.example/token", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)
            ) { response in
                (response.status, try JSONDecoder().decode(TokenBody.self, from: Data(response.body.readableBytesView)))
            }
        }
    }

    @Test("an assertion accepted by one instance is refused by another; purge removes its id after it expires")
    func replayAcrossInstances() async throws {
        try await TestDatabase.with { database in
            let key = TestClientKey(.es256, kid: "worker-1")
            _ = try await database.administration.createTenant(domain: "acme.example")
            var settings = try TestDatabase.settings(name: "worker")
            settings.authentication = try ClientAuthentication(
                methods: [.privateKeyJWT], keys: try ClientKeySet(json: TestClientKey.jwks([key])))
            let (application, _) = try await database.administration.createApplication(
                tenant: "acme.example", settings: settings)
            #expect(application.authMethods == ["private_key_jwt"] && application.keyIDs == ["worker-1"])
            let client = application.consumerKey
            let other = database.makeClient()
            try await other.running {
                try await TokenService.with(client: database.client) { (first: TokenService) async throws -> Void in
                    try await TokenService.with(client: other) { (second: TokenService) async throws -> Void in
                        let assertion = key.sign(
                            TestClientKey.claims(client: client, audience: Self.audience, now: Date()))
                        let (accepted, body) = try await Self.token(first, assertion: assertion)
                        #expect(accepted == .ok && body.access_token != nil)
                        let (replayed, refusal) = try await Self.token(second, assertion: assertion)
                        #expect(replayed == .unauthorized && refusal.error == "invalid_client")
                        #expect(refusal.error_description?.contains("jti") != true, "the reason stays in the log")
                        let fresh = key.sign(TestClientKey.claims(client: client, audience: Self.audience, now: Date()))
                        #expect(try await Self.token(second, assertion: fresh).0 == .ok)
                    }
                }
            }
            #expect(try await database.count("used_client_assertions") == 2)
            let partitions = TokenPartitions(client: database.client, logger: database.logger)
            #expect(try await partitions.purge(now: Date()).expiredAssertions == 0, "kept while they could be replayed")
            // Expiry (60 s) plus the 60 s of skew, and a little more.
            #expect(try await partitions.purge(now: Date().addingTimeInterval(125)).expiredAssertions == 2)
        }
    }

    @Test("set-auth moves a client from its secret to private_key_jwt on a running server")
    func movingToPrivateKeyJWT() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let client = registered.application.consumerKey
            let key = TestClientKey(.edDSA)
            try await TokenService.with(client: database.client) { service in
                let assertion = { key.sign(TestClientKey.claims(client: client, audience: Self.audience, now: Date())) }
                #expect(try await Self.token(service, assertion: assertion()).0 == .unauthorized, "no keys yet")
                let record = try await database.administration.setAuthentication(
                    tenant: "acme.example", consumerKey: client,
                    authentication: try ClientAuthentication(
                        methods: [.privateKeyJWT], keys: try ClientKeySet(json: TestClientKey.jwks([key]))))
                #expect(record.authMethods == ["private_key_jwt"])
                let moved = try await eventually(within: .seconds(10)) {
                    try await Self.token(service, assertion: assertion()).0 == .ok
                }
                #expect(moved, "the change feed did not bring the new method")
                let secretStatus = try await service.application.test(.router) { http in
                    try await http.requestToken(key: client, secret: registered.secret).status
                }
                #expect(secretStatus == .unauthorized, "the secret no longer authenticates")
            }
        }
    }
}
