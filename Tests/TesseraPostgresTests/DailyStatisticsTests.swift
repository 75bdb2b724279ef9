import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import TesseraTesting
import Testing

/// The console's charts: the token endpoint's answers counted in memory and added to `token_days` in rounds, and
/// the days `DailyStatistics` reads back, which must be the analysts' view's numbers.
@Suite("Daily statistics", .timeLimit(.minutes(2)))
struct DailyStatisticsTests {
    @Test("counts add up across rounds and servers, land on their UTC day, and the days are the view's numbers")
    func countsAndDays() async throws {
        try await TestDatabase.with { database in
            let charts = try await database.register(domain: "daily.example", application: "charts")
            let other = try await database.register(domain: "daily.example", application: "other")
            let directory = PostgresClientDirectory(client: database.client)
            let tenant = try #require(try await directory.tenant(domain: "daily.example"))
            let app = try #require(
                try await directory.application(tenantID: tenant.id, consumerKey: charts.application.consumerKey))
            let otherApp = try #require(
                try await directory.application(tenantID: tenant.id, consumerKey: other.application.consumerKey))
            let first = DailyTokenCounts(client: database.client, logger: database.logger, now: Date.init)
            let second = DailyTokenCounts(client: database.client, logger: database.logger, now: Date.init)
            let yesterday = DailyTokenCounts(
                client: database.client, logger: database.logger, now: { Date().addingTimeInterval(-86_400) })
            for _ in 0..<3 { first.issued(to: app) }
            first.refused(app)
            second.issued(to: app)
            second.refused(otherApp)
            yesterday.issued(to: app)
            try await first.flush()
            try await second.flush()
            try await yesterday.flush()
            // A round with nothing pending adds nothing.
            try await first.flush()

            let statistics = DailyStatistics(client: database.client, logger: database.logger)
            let key = charts.application.consumerKey
            let days = try await statistics.days(tenant: "daily.example", consumerKey: key)
            #expect(days.count == 30)
            #expect(days[29].issued == 4 && days[29].failed == 1, "\(days[29])")
            #expect(days[28].issued == 1 && days[28].failed == 0, "\(days[28])")
            #expect(days.dropLast(2).allSatisfy { $0.issued == 0 && $0.failed == 0 })
            let whole = try await statistics.days(tenant: "daily.example", count: 2)
            #expect(whole.map(\.issued) == [1, 4] && whole.map(\.failed) == [0, 2], "\(whole)")

            let view = try await database.client.rows(
                """
                SELECT to_char(day, 'YYYY-MM-DD'), issued, failed FROM token_days_per_application
                WHERE tenant = 'daily.example' AND consumer_key = \(key) ORDER BY day
                """, as: (String, Int64, Int64).self)
            #expect(view.map(\.0) == [days[28].day, days[29].day])
            #expect(view.map(\.1) == [1, 4] && view.map(\.2) == [0, 1])

            await #expect(throws: AdministrationError.self) {
                _ = try await statistics.days(tenant: "daily.example", consumerKey: "noSuchKeyNoSuchKeyNoSuchKey0")
            }
            for count in [0, DailyStatistics.maximumDays + 1] {
                await #expect(throws: AdministrationError.self) {
                    _ = try await statistics.days(tenant: "daily.example", count: count)
                }
            }
        }
    }

    @Test("registered users per day: new ones on their first token's day, the total carried from before the span")
    func registeredUsers() async throws {
        try await TestDatabase.with { database in
            let charts = try await database.register(domain: "users.example", application: "charts")
            let users = UserAdministration(client: database.client, logger: database.logger)
            for name in ["ann", "ben", "cat"] {
                _ = try await users.createUser(tenant: "users.example", username: name, passwordHash: "x")
            }
            // First tokens 40 days ago (before the span), 3 days ago and today.
            _ = try await database.client.query(
                """
                INSERT INTO registered_users (tenant_id, application_id, user_id, first_token_at, last_token_at,
                                              token_count)
                SELECT a.tenant_id, a.application_id, u.user_id,
                       now() - make_interval(days => CASE u.username WHEN 'ann' THEN 40 WHEN 'ben' THEN 3 ELSE 0 END),
                       now(), 1
                FROM applications a JOIN users u ON u.tenant_id = a.tenant_id
                WHERE a.consumer_key = \(charts.application.consumerKey)
                """
            ).collect()
            let days = try await DailyStatistics(client: database.client, logger: database.logger)
                .days(tenant: "users.example", consumerKey: charts.application.consumerKey)
            #expect(days.map(\.newRegisteredUsers).reduce(0, +) == 2)
            #expect(days[0].registeredUsers == 1 && days[26].registeredUsers == 2 && days[29].registeredUsers == 3)
            #expect(days[26].newRegisteredUsers == 1 && days[29].newRegisteredUsers == 1)
        }
    }

    @Test("a user's roles: given at creation, replaced, listed, and unknown ones refused by the table")
    func roles() async throws {
        try await TestDatabase.with { database in
            _ = try await database.register(domain: "roles.example")
            let users = UserAdministration(client: database.client, logger: database.logger)
            let made = try await users.createUser(
                tenant: "roles.example", username: "Ada", passwordHash: "x", roles: [.tenantAdmin])
            #expect(made.roles == ["tenant-admin"])
            try await users.setRoles(tenant: "roles.example", username: "ada", roles: [])
            #expect(try await users.user(tenant: "roles.example", username: "ADA").roles == [])
            await #expect(throws: AdministrationError.self) {
                try await users.setRoles(tenant: "roles.example", username: "nobody", roles: [.tenantAdmin])
            }
            await #expect(throws: (any Error).self) {
                _ = try await database.client.query("UPDATE users SET roles = '{superuser}'").collect()
            }
        }
    }
}
