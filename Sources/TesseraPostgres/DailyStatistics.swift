import Foundation
import Logging
import PostgresNIO

/// A tenant's days, or one application's: tokens issued and requests refused (`token_days`), and users registered
/// (their first password-grant token, `registered_users`), as the console's charts draw them and as
/// `sql/analytics/tokens_per_day.sql` and `new_registered_users_per_day.sql` count them. Days are UTC.
public struct DailyStatistics: Sendable {
    public struct Day: Sendable, Equatable {
        /// `YYYY-MM-DD`.
        public let day: String
        public let issued: Int
        public let failed: Int
        /// Users whose first token through the application(s) came that day.
        public let newRegisteredUsers: Int
        /// Users registered by the end of that day.
        public let registeredUsers: Int
    }

    /// The longest span asked for: a year and a day.
    public static let maximumDays = 366

    private let client: any DatabaseClient
    private let logger: Logger

    public init(client: any DatabaseClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The last `count` days up to today (the database's UTC date), oldest first, days without activity included.
    public func days(tenant domain: String, consumerKey: String? = nil, count: Int = 30) async throws -> [Day] {
        guard (1...Self.maximumDays).contains(count) else {
            throw AdministrationError("days must be 1 to \(Self.maximumDays)")
        }
        let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
        let rows = try await client.current.query(
            """
            WITH span AS (
                SELECT d::date AS day
                FROM generate_series((now() AT TIME ZONE 'UTC')::date - \(count - 1)::int, (now() AT TIME ZONE 'UTC')::date,
                                     interval '1 day') AS d
            ), apps AS (
                SELECT application_id FROM applications
                WHERE tenant_id = \(tenantID) AND (\(consumerKey)::text IS NULL OR consumer_key = \(consumerKey))
            ), counts AS (
                SELECT day, sum(issued) AS issued, sum(failed) AS failed FROM token_days
                WHERE tenant_id = \(tenantID) AND application_id IN (SELECT application_id FROM apps)
                  AND day >= (SELECT min(day) FROM span)
                GROUP BY day
            ), registered AS (
                SELECT (first_token_at AT TIME ZONE 'UTC')::date AS day, count(*) AS users FROM registered_users
                WHERE tenant_id = \(tenantID) AND application_id IN (SELECT application_id FROM apps)
                GROUP BY 1
            )
            SELECT to_char(s.day, 'YYYY-MM-DD'), coalesce(c.issued, 0)::bigint, coalesce(c.failed, 0)::bigint,
                   coalesce(r.users, 0)::bigint,
                   ((SELECT coalesce(sum(users), 0) FROM registered WHERE day < (SELECT min(day) FROM span))
                    + sum(coalesce(r.users, 0)) OVER (ORDER BY s.day))::bigint,
                   EXISTS (SELECT 1 FROM apps)
            FROM span s LEFT JOIN counts c ON c.day = s.day LEFT JOIN registered r ON r.day = s.day
            ORDER BY s.day
            """, logger: logger)
        var days: [Day] = []
        var found = consumerKey == nil
        for try await (day, issued, failed, new, registered, exists) in rows.decode(
            (String, Int64, Int64, Int64, Int64, Bool).self)
        {
            found = found || exists
            days.append(
                Day(
                    day: day, issued: Int(issued), failed: Int(failed), newRegisteredUsers: Int(new),
                    registeredUsers: Int(registered)))
        }
        if let consumerKey, !found { throw AdministrationError.unknownApplication(consumerKey, tenant: domain) }
        return days
    }
}
