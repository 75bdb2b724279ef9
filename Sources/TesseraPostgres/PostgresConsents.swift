import Foundation
import PostgresNIO
import TesseraCore

/// Users' consents in `consents`, one row per user and application holding everything consented to.
public struct PostgresConsents: ConsentStore {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func consent(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws
        -> Consent?
    {
        try await PostgresAvailability.run { [client] in
            let rows = try await client.current.query(
                """
                SELECT scopes, resources, granted_at FROM consents
                WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND application_id = \(applicationID)
                """, logger: PostgresAvailability.statementLogger
            ).collect()
            guard let row = rows.first else { return nil }
            let (scopes, resources, grantedAt) = try row.decode(([String], [String], Date).self)
            return Consent(
                applicationID: applicationID, scopes: ScopeSet(scopes), resources: resources, grantedAt: grantedAt)
        }
    }

    public func record(
        tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID, scopes: ScopeSet,
        resources: [String]
    ) async throws {
        try await PostgresAvailability.run { [client] in
            // The union with what was consented before, each value once.
            _ = try await client.committed(
                """
                INSERT INTO consents (tenant_id, user_id, application_id, scopes, resources)
                VALUES (\(tenantID), \(userID), \(applicationID), \(scopes.tokens), \(resources))
                ON CONFLICT (tenant_id, user_id, application_id) DO UPDATE SET
                    scopes = ARRAY(SELECT DISTINCT s FROM unnest(consents.scopes || EXCLUDED.scopes) AS s ORDER BY s),
                    resources = ARRAY(SELECT DISTINCT r FROM unnest(consents.resources || EXCLUDED.resources) AS r ORDER BY r),
                    granted_at = now()
                """)
        }
    }

    public func revoke(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws
        -> Bool
    {
        try await PostgresAvailability.run { [client] in
            let rows = try await client.committed(
                Self.revoke(tenantID: tenantID, userID: userID, applicationID: applicationID))
            return try rows.first?.decode(Int64.self) ?? 0 > 0
        }
    }

    public func consents(tenantID: Tenant.ID, userID: User.ID) async throws -> [GrantedConsent] {
        try await PostgresAvailability.run { [client] in
            let rows = try await client.current.query(
                Self.list(tenantID: tenantID, userID: userID), logger: PostgresAvailability.statementLogger)
            var consents: [GrantedConsent] = []
            for try await row in rows { consents.append(try Self.granted(row)) }
            return consents
        }
    }

    /// Deletes the consent and revokes the application's refresh families for the user, in one statement; answers
    /// how many consents it deleted (0 or 1). Shared with `UserAdministration.revokeConsent`.
    static func revoke(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) -> PostgresQuery {
        """
        WITH gone AS (
            DELETE FROM consents
            WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND application_id = \(applicationID)
            RETURNING 1
        ), families AS (
            UPDATE token_families SET revoked_at = now()
            WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND application_id = \(applicationID)
              AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM gone)
            RETURNING 1
        ) SELECT (SELECT count(*) FROM gone) + 0 * (SELECT count(*) FROM families)
        """
    }

    /// The user's consents with their clients, decoded by `granted`.
    static func list(tenantID: Tenant.ID, userID: User.ID) -> PostgresQuery {
        """
        SELECT c.application_id, c.scopes, c.resources, c.granted_at, a.consumer_key, a.name FROM consents c
        JOIN applications a ON a.tenant_id = c.tenant_id AND a.application_id = c.application_id
        WHERE c.tenant_id = \(tenantID) AND c.user_id = \(userID) ORDER BY a.name
        """
    }

    static func granted(_ row: PostgresRow) throws -> GrantedConsent {
        let (applicationID, scopes, resources, grantedAt, key, name) = try row.decode(
            (Int64, [String], [String], Date, String, String).self)
        return GrantedConsent(
            consent: Consent(
                applicationID: applicationID, scopes: ScopeSet(scopes), resources: resources, grantedAt: grantedAt),
            clientID: key, clientName: name)
    }
}
