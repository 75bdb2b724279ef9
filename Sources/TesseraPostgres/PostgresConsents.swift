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
                """
                DELETE FROM consents
                WHERE tenant_id = \(tenantID) AND user_id = \(userID) AND application_id = \(applicationID)
                RETURNING 1
                """)
            return !rows.isEmpty
        }
    }
}
