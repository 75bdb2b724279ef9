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

/// Issue 4, Deliver 6: `--token-reuse active` on PostgreSQL, through the router.
@Suite("Token reuse", .timeLimit(.minutes(3)))
struct TokenReuseTests {
    static let key = ServerKey(base64: ServerKey.generateKey())!

    struct Client {
        let key: String
        let secret: String
    }

    static func application(
        _ database: TestDatabase, reuse: ClientApplication.TokenReuse = .active, minRemaining: Int = 60,
        name: String = "reuser"
    ) async throws -> Client {
        let admin = database.administration
        if try await admin.tenants().isEmpty { _ = try await admin.createTenant(domain: "acme.example") }
        let supported: Set<GrantType> = ["client_credentials", "password"]
        let (record, secret) = try await admin.createApplication(
            tenant: "acme.example",
            settings: ApplicationSettings(
                name: name, grantTypes: supported, allowedScopes: "default read write", tokenReuse: reuse,
                reuseMinRemaining: minRemaining, supportedGrantTypes: supported))
        return Client(key: record.consumerKey, secret: secret)
    }

    /// The answer's JSON, expected 200. With `retryingUnavailable`, a 503 (a statement past its deadline while the
    /// loaded test machine stalls the database) is asked again after its Retry-After, as a client would.
    static func post(
        _ service: TokenService, _ endpoint: String, _ client: Client, _ form: String,
        retryingUnavailable: Bool = false
    ) async throws -> [String: Any] {
        let basic = Data("\(client.key):\(client.secret)".utf8).base64EncodedString()
        for _ in 0..<(retryingUnavailable ? 10 : 1) {
            let (status, body) = try await service.application.test(.router) { http in
                try await http.execute(
                    uri: "/t/acme.example/\(endpoint)", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"],
                    body: ByteBuffer(string: form)
                ) { response in (response.status, String(buffer: response.body)) }
            }
            if retryingUnavailable, status == .serviceUnavailable {
                try await Task.sleep(for: .seconds(1))
                continue
            }
            #expect(status == .ok, "\(body)")
            return (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        Issue.record("still 503 after ten tries")
        return [:]
    }

    static func token(
        _ service: TokenService, _ client: Client, _ form: String = "grant_type=client_credentials",
        retryingUnavailable: Bool = false
    ) async throws -> (token: String, expiresIn: Int) {
        let body = try await post(service, "token", client, form, retryingUnavailable: retryingUnavailable)
        return (try #require(body["access_token"] as? String), try #require(body["expires_in"] as? Int))
    }

    @Test("a matching request gets the live token back with its remaining lifetime; other scopes get their own")
    func reusesLiveToken() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database)
            let clock = TestClock()
            try await TokenService.with(client: database.client, sealer: Self.key, now: { clock.now }) { service in
                let first = try await Self.token(service, client)
                #expect(first.expiresIn == 3600)
                clock.advance(by: 60)
                let second = try await Self.token(service, client)
                #expect(second.token == first.token)
                // The hour less the minute, rounded down (the database keeps microseconds).
                #expect((3539...3540).contains(second.expiresIn), "the remaining lifetime, \(second.expiresIn)")
                let read = try await Self.token(service, client, "grant_type=client_credentials&scope=read")
                #expect(read.token != first.token)
                #expect(try await database.count("access_tokens") == 2)
            }
        }
    }

    @Test("with never (the default), every request gets a new token; without the servers' key too")
    func neverOrNoKey() async throws {
        try await TestDatabase.with { database in
            let never = try await Self.application(database, reuse: .never, name: "never")
            let active = try await Self.application(database, name: "active")
            try await TokenService.with(client: database.client, sealer: Self.key) { keyed in
                let tokens = [try await Self.token(keyed, never).token, try await Self.token(keyed, never).token]
                #expect(tokens[0] != tokens[1])
            }
            try await TokenService.with(client: database.client) { keyless in
                let tokens = [try await Self.token(keyless, active).token, try await Self.token(keyless, active).token]
                #expect(tokens[0] != tokens[1])
            }
        }
    }

    @Test("a token with fewer than --reuse-min-remaining seconds left is replaced by a new one")
    func minimumRemaining() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database, minRemaining: 3595)
            let clock = TestClock()
            try await TokenService.with(client: database.client, sealer: Self.key, now: { clock.now }) { service in
                let first = try await Self.token(service, client)
                clock.advance(by: 4.9)
                #expect(try await Self.token(service, client).token == first.token, "5 s less 0.1 are left: reused")
                clock.advance(by: 0.2)
                let second = try await Self.token(service, client)
                #expect(second.token != first.token)
                #expect(second.expiresIn == 3600)
                #expect(try await Self.token(service, client).token == second.token)
            }
        }
    }

    @Test("a revoked token is never handed out again")
    func revokedNotReused() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database)
            try await TokenService.with(client: database.client, sealer: Self.key) { service in
                let first = try await Self.token(service, client)
                _ = try await Self.post(service, "revoke", client, "token=\(first.token)")
                let second = try await Self.token(service, client)
                #expect(second.token != first.token)
                #expect(
                    try await Self.post(service, "introspect", client, "token=\(second.token)")["active"] as? Bool
                        == true)
            }
        }
    }

    @Test("a reused token never outlives the lifetime the request asked for (validity_period)")
    func neverOutlivesTheAskedLifetime() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database)
            try await TokenService.with(client: database.client, sealer: Self.key) { service in
                let hour = try await Self.token(service, client)
                let short = try await Self.token(service, client, "grant_type=client_credentials&validity_period=600")
                #expect(short.token != hour.token)
                #expect(short.expiresIn == 600)
                // The short token is within what either lifetime asks for, so both get it back.
                let again = try await Self.token(service, client, "grant_type=client_credentials&validity_period=600")
                #expect(again.token == short.token)
                #expect(again.expiresIn <= 600 && again.expiresIn >= 590, "the remaining lifetime, \(again.expiresIn)")
                #expect(try await Self.token(service, client).token == short.token)
                #expect(try await database.count("access_tokens") == 2)
            }
        }
    }

    @Test("a user whose username is the application's consumer key never gets the client's token, nor it theirs")
    func clientAndUserSubjectsApart() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database)
            _ = try await UserAdministration(client: database.client, logger: database.logger).createUser(
                tenant: "acme.example", username: client.key, passwordHash: TestPasswordHasher.hash("right", cost: 12))
            try await TokenService.with(client: database.client, sealer: Self.key) { service in
                let password = "grant_type=password&username=\(client.key)&password=right"
                let asClient = try await Self.token(service, client)
                let asUser = try await Self.token(service, client, password)
                #expect(asUser.token != asClient.token)
                #expect(try await Self.token(service, client, password).token == asUser.token)
                #expect(try await Self.token(service, client).token == asClient.token)
                #expect(try await database.count("reusable_tokens") == 2)
            }
        }
    }

    @Test("a burst on two instances makes one token, and every request gets it")
    func burstOnTwoInstances() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database)
            let other = database.makeClient()
            try await other.running {
                try await TokenService.with(client: database.client, sealer: Self.key) { first in
                    try await TokenService.with(client: other, sealer: Self.key) { second in
                        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                            for index in 0..<24 {
                                group.addTask {
                                    try await Self.token(
                                        index.isMultiple(of: 2) ? first : second, client, retryingUnavailable: true
                                    ).token
                                }
                            }
                            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                        }
                        #expect(tokens.count == 1)
                        #expect(try await database.count("access_tokens") == 1)
                        #expect(try await database.count("reusable_tokens") == 1)
                    }
                }
            }
        }
    }

    @Test("the database alone does not hold a usable token: the reusable copy is sealed under the servers' key")
    func sealedAtRest() async throws {
        try await TestDatabase.with { database in
            let client = try await Self.application(database)
            try await TokenService.with(client: database.client, sealer: Self.key) { service in
                let token = try await Self.token(service, client).token
                let dump = try await database.client.rows(
                    "SELECT string_agg(k::text, '|') FROM reusable_tokens k", as: String.self)
                let hex = token.utf8.map { String(format: "%02x", $0) }.joined()
                #expect(!(dump.first ?? "").contains(token))
                #expect(!(dump.first ?? "").contains(hex))
                let sealed = try await database.client.rows(
                    "SELECT sealed_token FROM reusable_tokens", as: ByteBuffer.self)
                let bytes = Array(try #require(sealed.first).readableBytesView)
                let reuseKey = ReuseKey(
                    tenantID: 1, applicationID: 1, subject: .client(consumerKey: client.key),
                    scopes: ScopeSet(["default"]))
                #expect(Self.key.open(bytes, for: reuseKey) == token)
                let otherKey = ServerKey(base64: ServerKey.generateKey())!
                #expect(otherKey.open(bytes, for: reuseKey) == nil)
                let otherApplication = ReuseKey(
                    tenantID: 1, applicationID: 2, subject: .client(consumerKey: client.key),
                    scopes: ScopeSet(["default"]))
                #expect(Self.key.open(bytes, for: otherApplication) == nil)
                let sameNamedUser = ReuseKey(
                    tenantID: 1, applicationID: 1, subject: .user(username: client.key), scopes: ScopeSet(["default"]))
                #expect(Self.key.open(bytes, for: sameNamedUser) == nil)
            }
        }
    }
}
