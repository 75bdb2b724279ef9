import Foundation
import NIOCore
import PostgresNIO
import Synchronization
import TesseraCore

/// Reusable tokens in `reusable_tokens` (migrations 0005 and 0008, which keys rows by the kind of subject too).
/// A row is live only while the access token it points to is active by the same rules as introspection, so a
/// revoked token is never handed out again.
public struct PostgresTokenReuseStore: TokenReuseStore {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func current(_ key: ReuseKey, at now: Date) async throws -> ReusableToken {
        let statement = CurrentReusableToken(key: key, now: now)
        return try await PostgresAvailability.run { [client] in
            for try await token in try await client.current.execute(statement) { return token }
            return .replaceable(seen: nil)
        }
    }

    public func claim(_ key: ReuseKey, replacing seen: Date?, token: IssuedToken, sealed: [UInt8]) async throws -> Bool
    {
        let statement = ClaimReusableToken(key: key, seen: seen, token: token, sealed: sealed)
        let claimed = Mutex(false)
        try await TokenPartitions.run(client, creating: "access_tokens", for: [token.expiresAt]) { [client] in
            let counts = try await client.committed(statement)
            claimed.withLock { $0 = counts.contains { $0 > 0 } }
        }
        return claimed.withLock { $0 }
    }
}

struct CurrentReusableToken: PostgresPreparedStatement {
    static let name = "tessera.CurrentReusableToken"
    // TokenSQL.active reads t (the token), a, u, f and r, and $5 as now.
    static let sql = """
        SELECT k.sealed_token, k.issued_at, k.expires_at,
               coalesce(k.expires_at > $5 AND t.token_hash IS NOT NULL
                        AND \(TokenSQL.active), false)
        FROM reusable_tokens k
        LEFT JOIN access_tokens t
            ON t.tenant_id = k.tenant_id AND t.token_hash = k.token_hash AND t.expires_at = k.expires_at
        LEFT JOIN applications a ON a.tenant_id = t.tenant_id AND a.application_id = t.application_id
        LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.user_id = t.user_id
        LEFT JOIN token_families f ON f.tenant_id = t.tenant_id AND f.family_id = t.family_id
        LEFT JOIN user_token_revocations r
            ON r.tenant_id = t.tenant_id AND r.application_id = t.application_id AND r.user_id = t.user_id
        WHERE k.tenant_id = $1 AND k.application_id = $2 AND k.subject_kind = $6 AND k.subject = $3
          AND k.scope_key = $4 AND k.audience_key = $7
        """
    typealias Row = ReusableToken
    let key: ReuseKey
    let now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(key.tenantID)
        bindings.append(key.applicationID)
        bindings.append(key.subject.name)
        bindings.append(key.scopes.description)
        bindings.append(now)
        bindings.append(key.subject.kind)
        bindings.append(key.audienceKey)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ReusableToken {
        let (sealed, issuedAt, expiresAt, live) = try row.decode((ByteBuffer, Date, Date, Bool).self)
        return live
            ? .live(sealed: Array(sealed.readableBytesView), issuedAt: issuedAt, expiresAt: expiresAt)
            : .replaceable(seen: issuedAt)
    }
}

/// The claim and the token in one statement: the row and the token it points to become visible together.
/// A concurrent claim of the same key waits for ours to commit, then finds the row changed and writes nothing.
struct ClaimReusableToken: PostgresPreparedStatement {
    static let name = "tessera.ClaimReusableToken"
    static let sql = """
        WITH claimed AS (
            INSERT INTO reusable_tokens AS k
                (tenant_id, application_id, subject_kind, subject, scope_key, audience_key, token_hash, sealed_token,
                 issued_at, expires_at)
            VALUES ($1, $2, $12, $3, $4, $14, $5, $6, $7, $8)
            ON CONFLICT (tenant_id, application_id, subject_kind, subject, scope_key, audience_key) DO UPDATE
            SET token_hash = excluded.token_hash, sealed_token = excluded.sealed_token,
                issued_at = excluded.issued_at, expires_at = excluded.expires_at
            WHERE k.issued_at IS NOT DISTINCT FROM $9::timestamptz
            RETURNING 1
        ), batch AS (
            SELECT $1::bigint AS tenant_id, $5::bytea AS token_hash, $2::bigint AS application_id,
                   $3::text AS subject, $4::text AS scopes, $10::text AS grant_type, $7::timestamptz AS issued_at,
                   $8::timestamptz AS expires_at, NULLIF($11::bigint, 0) AS user_id, NULL::bigint AS family_id,
                   $13::bool AS registers_user, $14::text AS audience
            FROM claimed
        ), \(AccessTokenSQL.storeBatch),
        registered AS (
            \(AccessTokenSQL.registerUsersOfBatch)
        )
        SELECT count(*) FROM claimed
        """
    typealias Row = Int64
    let key: ReuseKey
    let seen: Date?
    let token: IssuedToken
    let sealed: [UInt8]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(key.tenantID)
        bindings.append(key.applicationID)
        bindings.append(key.subject.name)
        bindings.append(key.scopes.description)
        bindings.append(ByteBuffer(bytes: token.hash.bytes))
        bindings.append(ByteBuffer(bytes: sealed))
        bindings.append(token.issuedAt)
        bindings.append(token.expiresAt)
        bindings.append(seen)
        bindings.append(token.grantType.rawValue)
        bindings.append(token.userID ?? 0)
        bindings.append(key.subject.kind)
        bindings.append(token.registersUser)
        bindings.append(key.audienceKey)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}
