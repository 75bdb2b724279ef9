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

/// Issue 3's failure rules on PostgreSQL through the real router: one answer for unknown, wrong and disabled,
/// and the throttle's 429 with Retry-After, reset by a success.
@Suite("Password grant failures on PostgreSQL", .timeLimit(.minutes(3)))
struct PasswordGrantDatabaseTests {
    struct Fixture {
        let clock: TestClock
        let service: TokenService
        let users: UserAdministration
        let key: String
        let secret: String

        /// Runs `body` with an application, two users and the service running, its clock the fixture's.
        static func with(_ database: TestDatabase, _ body: (Fixture) async throws -> Void) async throws {
            _ = try await database.administration.createTenant(domain: "acme.example")
            let (app, secret) = try await database.administration.createApplication(
                tenant: "acme.example",
                settings: ApplicationSettings(
                    name: "mobile", grantTypes: ["password"], supportedGrantTypes: ["password"]))
            let users = UserAdministration(client: database.client, logger: database.logger)
            for name in ["alice", "dave"] {
                _ = try await users.createUser(
                    tenant: "acme.example", username: name, passwordHash: TestPasswordHasher.hash("right", cost: 12))
            }
            let clock = TestClock()
            try await TokenService.with(client: database.client, now: { clock.now }) { service in
                try await body(
                    Fixture(clock: clock, service: service, users: users, key: app.consumerKey, secret: secret))
            }
        }

        func signIn(_ username: String, _ password: String) async throws
            -> (status: Int, retryAfter: String?, body: String)
        {
            let basic = Data("\(key):\(secret)".utf8).base64EncodedString()
            return try await service.application.test(.router) { http in
                try await http.execute(
                    uri: "/t/acme.example/token", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"],
                    body: ByteBuffer(string: "grant_type=password&username=\(username)&password=\(password)")
                ) { (Int($0.status.code), $0.headers[.retryAfter], String(buffer: $0.body)) }
            }
        }
    }

    @Test("unknown user, wrong password and disabled user get the same 400 invalid_grant; enabled again, 200")
    func oneAnswer() async throws {
        try await TestDatabase.with { database in
            try await Fixture.with(database) { fixture in
                try await fixture.users.setUser(tenant: "acme.example", username: "dave", enabled: false)
                let unknown = try await fixture.signIn("nobody", "right")
                let wrong = try await fixture.signIn("alice", "wrong")
                let disabled = try await fixture.signIn("dave", "right")
                #expect(unknown.status == 400)
                #expect(unknown.body.contains("invalid_grant"))
                #expect(wrong.status == unknown.status && wrong.body == unknown.body)
                #expect(disabled.status == unknown.status && disabled.body == unknown.body)
                try await fixture.users.setUser(tenant: "acme.example", username: "dave", enabled: true)
                #expect(try await fixture.signIn("dave", "right").status == 200)
                #expect(try await database.count("access_tokens") == 1, "failures store nothing")
            }
        }
    }

    @Test("after five failures a user is throttled (429, Retry-After), the right password included; a success resets")
    func throttle() async throws {
        try await TestDatabase.with { database in
            try await Fixture.with(database) { fixture in
                for _ in 0..<5 { #expect(try await fixture.signIn("alice", "wrong").status == 400) }
                let throttled = try await fixture.signIn("ALICE", "right")
                #expect(throttled.status == 429, "usernames ignore case in the throttle too")
                #expect(throttled.body.contains("slow_down"))
                #expect(throttled.retryAfter == "1")
                #expect(try await fixture.signIn("dave", "right").status == 200, "another user is not throttled")
                fixture.clock.advance(by: 1.1)
                #expect(try await fixture.signIn("alice", "right").status == 200)
                #expect(try await fixture.signIn("alice", "wrong").status == 400, "the success reset the count")
            }
        }
    }
}
