import Foundation
import PostgresNIO
import TesseraCore

/// Browser sessions in `browser_sessions`, by the hash of the cookie's value.
public struct PostgresBrowserSessions: BrowserSessionStore {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func start(_ session: TokenHash, tenantID: Tenant.ID, userID: User.ID, expiresAt: Date) async throws {
        try await PostgresAvailability.run { [client] in
            _ = try await client.committed(
                """
                INSERT INTO browser_sessions (tenant_id, session_hash, user_id, expires_at)
                VALUES (\(tenantID), \(ByteBuffer(bytes: session.bytes)), \(userID), \(expiresAt))
                """)
        }
    }

    public func user(session: TokenHash, tenantID: Tenant.ID, at now: Date) async throws -> User? {
        try await PostgresAvailability.run { [client] in
            let rows = try await client.current.query(
                """
                SELECT u.user_id, u.username, u.password_hash, u.roles FROM browser_sessions s
                JOIN users u ON u.tenant_id = s.tenant_id AND u.user_id = s.user_id
                WHERE s.tenant_id = \(tenantID) AND s.session_hash = \(ByteBuffer(bytes: session.bytes))
                  AND s.expires_at > \(now) AND u.enabled
                """, logger: PostgresAvailability.statementLogger
            ).collect()
            guard let row = rows.first else { return nil }
            let (id, username, hash, roles) = try row.decode((Int64, String, String, [String]).self)
            return User(
                tenantID: tenantID, id: id, username: username, passwordHash: hash, enabled: true,
                roles: Set(roles.compactMap(UserRole.init(rawValue:))))
        }
    }

    public func end(_ session: TokenHash, tenantID: Tenant.ID) async throws {
        try await PostgresAvailability.run { [client] in
            _ = try await client.committed(
                """
                DELETE FROM browser_sessions
                WHERE tenant_id = \(tenantID) AND session_hash = \(ByteBuffer(bytes: session.bytes))
                """)
        }
    }
}
