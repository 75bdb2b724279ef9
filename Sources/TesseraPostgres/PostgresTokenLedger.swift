import Foundation
import NIOCore
import PostgresNIO
import Synchronization
import TesseraCore

/// The token ledger on PostgreSQL. Every lookup names the token's expiry day, so PostgreSQL reads one
/// partition's primary key; nothing is cached, so a revocation holds on every server instance at once.
public struct PostgresTokenLedger: TokenLedger {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func activeToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws
        -> ActiveToken?
    {
        let lookup = TokenLookup(reference: reference, tenantID: tenantID, now: now)
        return try await PostgresAvailability.run { [client] in
            switch reference.kind {
            case .access:
                for try await token in try await client.current.execute(ActiveAccessToken(lookup: lookup)) {
                    return token
                }
            case .refresh:
                for try await token in try await client.current.execute(ActiveRefreshToken(lookup: lookup)) {
                    return token
                }
            }
            return nil
        }
    }

    public func revoke(
        _ reference: TokenReference, tenantID: Tenant.ID, applicationID: ClientApplication.ID, at now: Date
    ) async throws {
        let lookup = TokenLookup(reference: reference, tenantID: tenantID, now: now)
        try await PostgresAvailability.run { [client] in
            switch reference.kind {
            case .access:
                _ = try await client.committed(RevokeAccessToken(lookup: lookup, applicationID: applicationID))
            case .refresh:
                _ = try await client.committed(RevokeRefreshToken(lookup: lookup, applicationID: applicationID))
            }
        }
    }

    public func refreshToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws
        -> RefreshTokenState?
    {
        guard reference.kind == .refresh else { return nil }
        let statement = RefreshTokenStateQuery(lookup: TokenLookup(reference: reference, tenantID: tenantID, now: now))
        return try await PostgresAvailability.run { [client] in
            for try await state in try await client.current.execute(statement) { return state }
            return nil
        }
    }

    public func rotate(
        _ presented: TokenReference, family: RefreshTokenState.FamilyID, accessToken: IssuedToken,
        refreshToken: IssuedRefreshToken
    ) async throws -> Bool {
        let statement = RotateRefreshToken(
            presented: presented, family: family, accessToken: accessToken, refreshToken: refreshToken)
        let rotated = Mutex(false)
        try await TokenPartitions.run(
            client, creating: ["access_tokens": [accessToken.expiresAt], "refresh_tokens": [refreshToken.expiresAt]]
        ) { [client] in
            let counts = try await client.committed(statement)
            rotated.withLock { $0 = counts.contains { $0 > 0 } }
        }
        if rotated.withLock({ $0 }) { return true }
        try await revokeFamily(family, tenantID: accessToken.tenantID, at: refreshToken.issuedAt)
        return false
    }

    public func revokeFamily(_ family: RefreshTokenState.FamilyID, tenantID: Tenant.ID, at now: Date) async throws {
        try await PostgresAvailability.run { [client] in
            _ = try await client.committed(
                """
                UPDATE token_families SET revoked_at = \(now)
                WHERE tenant_id = \(tenantID) AND family_id = \(family) AND revoked_at IS NULL
                """)
        }
    }
}

/// The key of a token row: tenant, hash, and the expiry day that picks the partition.
struct TokenLookup: Sendable {
    let reference: TokenReference
    let tenantID: Tenant.ID
    let now: Date

    /// Binds $1 tenant, $2 hash, $3 and $4 the expiry day's bounds, $5 now, and $6 the application when given.
    func bindings(applicationID: ClientApplication.ID) -> PostgresBindings {
        var bindings = bindings(capacity: 6)
        bindings.append(applicationID)
        return bindings
    }

    /// Binds $1 tenant, $2 hash, $3 and $4 the expiry day's bounds, $5 now.
    func bindings(capacity: Int = 5) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: capacity)
        bindings.append(tenantID)
        bindings.append(ByteBuffer(bytes: reference.hash.bytes))
        bindings.append(reference.expiryDayRange.lowerBound)
        bindings.append(reference.expiryDayRange.upperBound)
        bindings.append(now)
        return bindings
    }
}

/// The rules of an active token, shared by every statement that reads one (`t` is the token row): found by the
/// key of `TokenLookup`, unexpired, not revoked itself, nor its family, nor by an administrator's watermark of
/// its application or user, and its application and user enabled. A token of a family whose row is missing is
/// inactive: that row is the only record of the family's revocation, so without it nothing says the token was not
/// revoked. A family outlives its tokens (see `InsertTokenFamily`), so only one that an earlier version purged
/// too soon, or a row lost otherwise, is missing.
enum TokenSQL {
    static func read(_ table: String, columns: String) -> String {
        """
        SELECT \(columns)
        FROM \(table) t
        \(joins)
        WHERE t.tenant_id = $1 AND t.token_hash = $2 AND t.expires_at >= $3 AND t.expires_at < $4
        """
    }

    /// What the active rule reads besides the token row `t`, each row by its primary key once the token is found.
    /// Lateral subqueries with OFFSET 0 fix that order: as plain joins, with no statistics on small tables (fewer
    /// than 50 rows are never analyzed), PostgreSQL started from the tenant's applications and probed the token
    /// index once for each of them, and it may hash a whole table of families for a batch of a few tokens.
    static let joins = """
        CROSS JOIN LATERAL (
            SELECT a.consumer_key, a.enabled, a.tokens_revoked_before FROM applications a
            WHERE a.tenant_id = t.tenant_id AND a.application_id = t.application_id OFFSET 0) a
        LEFT JOIN LATERAL (
            SELECT u.username, u.enabled FROM users u WHERE u.tenant_id = t.tenant_id AND u.user_id = t.user_id
            OFFSET 0) u ON true
        LEFT JOIN LATERAL (
            SELECT f.family_id, f.revoked_at FROM token_families f
            WHERE f.tenant_id = t.tenant_id AND f.family_id = t.family_id
            OFFSET 0) f ON true
        LEFT JOIN LATERAL (
            SELECT r.revoked_before FROM user_token_revocations r
            WHERE r.tenant_id = t.tenant_id AND r.application_id = t.application_id AND r.user_id = t.user_id
            OFFSET 0) r ON true
        """

    static let active = active(now: "$5")

    /// The active rule with `now` as the placeholder of the current time.
    static func active(now: String) -> String {
        """
        t.expires_at > \(now) AND t.revoked_at IS NULL
        AND (t.family_id IS NULL OR (f.family_id IS NOT NULL AND f.revoked_at IS NULL))
        AND a.enabled AND (a.tokens_revoked_before IS NULL OR t.issued_at > a.tokens_revoked_before)
        AND (t.user_id IS NULL OR (u.enabled AND (r.revoked_before IS NULL OR t.issued_at > r.revoked_before)))
        """
    }

    static let reportedColumns =
        "t.application_id, a.consumer_key, u.username, t.subject, t.scopes, t.issued_at, t.expires_at, t.audience"

    /// Decodes `reportedColumns`, which start at column `offset`.
    static func activeToken(_ row: PostgresRow, kind: TokenReference.Kind, offset: Int = 0) throws -> ActiveToken {
        let columns = row.makeRandomAccess()
        let applicationID = try columns[offset].decode(Int64.self)
        let consumerKey = try columns[offset + 1].decode(String.self)
        let username = try columns[offset + 2].decode(String?.self)
        let subject = try columns[offset + 3].decode(String.self)
        let scopes = try columns[offset + 4].decode([String].self)
        let issuedAt = try columns[offset + 5].decode(Date.self)
        let expiresAt = try columns[offset + 6].decode(Date.self)
        let audience = try columns[offset + 7].decode([String]?.self) ?? []
        return ActiveToken(
            kind: kind, applicationID: applicationID, consumerKey: consumerKey, username: username, subject: subject,
            scopes: ScopeSet(scopes), issuedAt: issuedAt, expiresAt: expiresAt, audience: audience)
    }
}

struct ActiveAccessToken: PostgresPreparedStatement {
    static let name = "tessera.ActiveAccessToken"
    static let sql = TokenSQL.read("access_tokens", columns: TokenSQL.reportedColumns) + " AND " + TokenSQL.active
    typealias Row = ActiveToken
    let lookup: TokenLookup

    func makeBindings() throws -> PostgresBindings { lookup.bindings() }
    func decodeRow(_ row: PostgresRow) throws -> ActiveToken { try TokenSQL.activeToken(row, kind: .access) }
}

/// A used refresh token is inactive: it can never be exchanged again.
struct ActiveRefreshToken: PostgresPreparedStatement {
    static let name = "tessera.ActiveRefreshToken"
    static let sql =
        TokenSQL.read("refresh_tokens", columns: TokenSQL.reportedColumns) + " AND t.used_at IS NULL AND "
        + TokenSQL.active
    typealias Row = ActiveToken
    let lookup: TokenLookup

    func makeBindings() throws -> PostgresBindings { lookup.bindings() }
    func decodeRow(_ row: PostgresRow) throws -> ActiveToken { try TokenSQL.activeToken(row, kind: .refresh) }
}

struct RefreshTokenStateQuery: PostgresPreparedStatement {
    static let name = "tessera.RefreshTokenStateQuery"
    static let sql = TokenSQL.read(
        "refresh_tokens",
        columns: "t.family_id, t.application_id, t.user_id, t.subject, t.scopes, t.used_at IS NOT NULL, "
            + "(\(TokenSQL.active)), t.audience")
    typealias Row = RefreshTokenState
    let lookup: TokenLookup

    func makeBindings() throws -> PostgresBindings { lookup.bindings() }

    func decodeRow(_ row: PostgresRow) throws -> RefreshTokenState {
        let (family, applicationID, userID, subject, scopes, used, active, audience) =
            try row.decode((Int64, Int64, Int64?, String, [String], Bool, Bool, [String]?).self)
        return RefreshTokenState(
            family: family, applicationID: applicationID, userID: userID, subject: subject, scopes: ScopeSet(scopes),
            used: used, active: active, audience: audience ?? [])
    }
}

struct RevokeAccessToken: PostgresPreparedStatement {
    static let name = "tessera.RevokeAccessToken"
    static let sql = """
        UPDATE access_tokens SET revoked_at = $5
        WHERE tenant_id = $1 AND token_hash = $2 AND expires_at >= $3 AND expires_at < $4
          AND application_id = $6 AND revoked_at IS NULL
        """
    typealias Row = Void
    let lookup: TokenLookup
    let applicationID: ClientApplication.ID

    func makeBindings() throws -> PostgresBindings { lookup.bindings(applicationID: applicationID) }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// RFC 7009 §2.1: revoking a refresh token revokes the grant it came from: its family, and so every access
/// token issued in it.
struct RevokeRefreshToken: PostgresPreparedStatement {
    static let name = "tessera.RevokeRefreshToken"
    static let sql = """
        WITH revoked AS (
            UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, $5)
            WHERE tenant_id = $1 AND token_hash = $2 AND expires_at >= $3 AND expires_at < $4
              AND application_id = $6
            RETURNING family_id
        )
        UPDATE token_families SET revoked_at = $5
        WHERE tenant_id = $1 AND family_id IN (SELECT family_id FROM revoked) AND revoked_at IS NULL
        """
    typealias Row = Void
    let lookup: TokenLookup
    let applicationID: ClientApplication.ID

    func makeBindings() throws -> PostgresBindings { lookup.bindings(applicationID: applicationID) }

    func decodeRow(_ row: PostgresRow) throws {}
}
