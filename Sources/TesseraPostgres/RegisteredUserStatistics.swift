import Foundation
import Logging
import PostgresNIO

/// Registered users per application of a tenant: the numbers of `sql/analytics/registered_users_per_application.sql`.
public struct RegisteredUserStatistics: Sendable {
    /// One application's line.
    public struct Line: Sendable, Encodable {
        public let application: String
        public let consumerKey: String
        public let registeredUsers: Int
        public let activeUsers30Days: Int
        public let firstSeen: Date?
        public let lastSeen: Date?

        enum CodingKeys: String, CodingKey {
            case application
            case consumerKey = "consumer_key"
            case registeredUsers = "registered_users"
            case activeUsers30Days = "active_30_days"
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }
    }

    private let client: any DatabaseClient
    private let logger: Logger

    public init(client: any DatabaseClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// - Parameters:
    ///   - consumerKey: only this application.
    ///   - since: only users registered (first token) on or after this instant.
    public func perApplication(tenant domain: String, consumerKey: String? = nil, since: Date? = nil) async throws
        -> [Line]
    {
        let tenantID = try await DirectoryAdministration(client: client, logger: logger).tenantID(domain)
        let since = since ?? Date.distantPast
        let rows = try await client.current.query(
            """
            SELECT a.name, a.consumer_key, count(r.user_id)::bigint,
                   (count(r.user_id) FILTER (WHERE r.last_token_at > now() - interval '30 days'))::bigint,
                   min(r.first_token_at), max(r.last_token_at)
            FROM applications a
            LEFT JOIN registered_users r ON r.tenant_id = a.tenant_id AND r.application_id = a.application_id
                                        AND r.first_token_at >= \(since)
            WHERE a.tenant_id = \(tenantID) AND (\(consumerKey)::text IS NULL OR a.consumer_key = \(consumerKey))
            GROUP BY a.application_id, a.name, a.consumer_key
            ORDER BY a.name
            """, logger: logger)
        var lines: [Line] = []
        for try await (name, key, registered, active, first, last) in rows.decode(
            (String, String, Int64, Int64, Date?, Date?).self)
        {
            lines.append(
                Line(
                    application: name, consumerKey: key, registeredUsers: Int(registered),
                    activeUsers30Days: Int(active),
                    firstSeen: first, lastSeen: last))
        }
        if let consumerKey, lines.isEmpty {
            throw AdministrationError.unknownApplication(consumerKey, tenant: domain)
        }
        return lines
    }
}
