import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraPostgres

/// Issue 18, "one clock": operators date revocations with the database's clock, so tokens must be issued by it too.
/// Were a token's `issued_at` the server's own time, a server clock running ahead would let a token issued just
/// before a revocation survive it, and one running behind would kill tokens issued just after it.
@Suite("One clock", .timeLimit(.minutes(3)))
struct OneClockTests {
    @Test(
        "a server whose clock is off by five minutes still issues tokens that a revocation ends, and only those",
        arguments: [300.0, -300.0])
    func revocationWithSkewedServerClock(skew: TimeInterval) async throws {
        try await TestDatabase.with { database in
            // The database runs on this machine, so `Date()` is its clock; the server's machine is `skew` off it.
            let clock = DatabaseClock(
                client: database.client, logger: database.logger, local: { Date().addingTimeInterval(skew) })
            try await clock.synchronize()
            #expect(abs(clock.measuredOffset + skew) < 1, "offset \(clock.measuredOffset) for a skew of \(skew)")
            #expect(abs(clock.now().timeIntervalSinceNow) < 1)

            let registered = try await database.register()
            let key = registered.application.consumerKey
            try await TokenService.with(client: database.client, now: clock.now) { service in
                func post(_ endpoint: String, _ form: String) async throws -> [String: Any] {
                    try await service.post(endpoint, key: key, secret: registered.secret, form: form)
                }
                func token() async throws -> String {
                    try #require(try await post("token", "grant_type=client_credentials")["access_token"] as? String)
                }
                func isActive(_ token: String) async throws -> Bool {
                    try #require(try await post("introspect", "token=\(token)")["active"] as? Bool)
                }

                let before = try await token()
                try await database.administration.revokeTokens(tenant: "acme.example", consumerKey: key)
                let after = try await token()
                #expect(try await !isActive(before), "a token issued before the revocation survived it")
                #expect(try await isActive(after), "a token issued after the revocation died of it")
            }
        }
    }

    @Test("the clock follows the database's when this machine's clock is stepped")
    func followsAStep() async throws {
        try await TestDatabase.with { database in
            // How far this machine's clock is stepped: a TestClock's distance from where it started.
            let step = TestClock(Date(timeIntervalSince1970: 0))
            let clock = DatabaseClock(
                client: database.client, logger: database.logger,
                local: { Date().addingTimeInterval(step.now.timeIntervalSince1970) })
            try await clock.synchronize()
            step.advance(by: -3600)
            #expect(abs(clock.now().timeIntervalSinceNow + 3600) < 1, "until it reads the database's clock again")
            try await clock.synchronize()
            #expect(abs(clock.now().timeIntervalSinceNow) < 1)
        }
    }
}

/// The offset a measurement takes: the reading with the shortest round trip.
@Suite("Database clock readings")
struct DatabaseClockReadingTests {
    @Test("of several readings, the one with the shortest round trip sets the offset; a late one cannot skew it")
    func shortestRoundTrip() throws {
        let start = Date(timeIntervalSince1970: 1_000_000)
        // The database is 2 s ahead. The first reading's answer came back late (the thread ran 1.8 s late), which
        // read alone would put the clock 0.9 s ahead of the database's.
        let readings = [
            DatabaseClock.Reading(
                sent: start, database: start.addingTimeInterval(2.001), received: start.addingTimeInterval(1.8)),
            DatabaseClock.Reading(
                sent: start.addingTimeInterval(2), database: start.addingTimeInterval(4.0005),
                received: start.addingTimeInterval(2.001)),
            DatabaseClock.Reading(
                sent: start.addingTimeInterval(3), database: start.addingTimeInterval(5.2),
                received: start.addingTimeInterval(3.3)),
        ]
        let offset = try #require(DatabaseClock.offset(of: readings))
        #expect(abs(Double(offset) / 1_000_000 - 2) < 0.001, "\(offset) us")
        #expect(DatabaseClock.offset(of: []) == nil)
    }
}
