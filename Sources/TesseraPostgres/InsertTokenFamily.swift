import Foundation
import NIOCore
import PostgresNIO
import TesseraCore

/// Starts a refresh family: the family, its first refresh token and the access token issued with it (and the
/// registered user) in one statement, so that nothing is half-written when it fails.
///
/// The family's `expires_at` is the latest expiry of any token issued in it, the access token's included: its
/// tokens are revoked only through the family's row, and purge deletes that row once `expires_at` has passed, so a
/// token that outlived it (an access lifetime or `validity_period` beyond the refresh validity) would read as
/// never revoked. Keeping revoked families until no token references them instead would need an index of the
/// access tokens by family on the hot insert path; a date written with the row costs nothing.
struct InsertTokenFamily: PostgresPreparedStatement {
    static let name = "tessera.InsertTokenFamily"
    static let sql = """
        WITH family AS (
            INSERT INTO token_families (tenant_id, application_id, user_id, created_at, expires_at)
            VALUES ($1, $2, NULLIF($3, 0), $4, greatest($5::timestamptz, $13::timestamptz)) RETURNING family_id
        ), refresh AS (
            INSERT INTO refresh_tokens (tenant_id, token_hash, expires_at, family_id, application_id, user_id, subject,
                                        scopes, issued_at, audience)
            SELECT $1, $6, $5, family_id, $2, NULLIF($3, 0), $7, string_to_array($8, ' '), $4,
                   string_to_array(NULLIF($15, ''), ' ')
            FROM family
        ), batch AS (
            SELECT $1::bigint AS tenant_id, $9::bytea AS token_hash, $2::bigint AS application_id, $10::text AS subject,
                   $11::text AS scopes, $12::text AS grant_type, $4::timestamptz AS issued_at,
                   $13::timestamptz AS expires_at, NULLIF($3::bigint, 0) AS user_id, family_id,
                   $14::bool AS registers_user, $16::text AS audience
            FROM family
        ), \(AccessTokenSQL.storeBatch)
        \(AccessTokenSQL.registerUsersOfBatch)
        """
    typealias Row = Void
    let accessToken: IssuedToken
    let refreshToken: IssuedRefreshToken

    static func run(_ client: any DatabaseClient, accessToken: IssuedToken, refreshToken: IssuedRefreshToken)
        async throws
    {
        let statement = InsertTokenFamily(accessToken: accessToken, refreshToken: refreshToken)
        try await TokenPartitions.run(
            client, creating: ["access_tokens": [accessToken.expiresAt], "refresh_tokens": [refreshToken.expiresAt]]
        ) {
            _ = try await client.committed(statement)
        }
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 16)
        bindings.append(refreshToken.tenantID)
        bindings.append(refreshToken.applicationID)
        bindings.append(refreshToken.userID ?? 0)
        bindings.append(refreshToken.issuedAt)
        bindings.append(refreshToken.expiresAt)
        bindings.append(ByteBuffer(bytes: refreshToken.hash.bytes))
        bindings.append(refreshToken.subject)
        bindings.append(refreshToken.scopes.description)
        bindings.append(ByteBuffer(bytes: accessToken.hash.bytes))
        bindings.append(accessToken.subject)
        bindings.append(accessToken.scopes.description)
        bindings.append(accessToken.grantType.rawValue)
        bindings.append(accessToken.expiresAt)
        bindings.append(accessToken.registersUser)
        bindings.append(refreshToken.audienceText)
        bindings.append(accessToken.audienceText)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// Exchanges a refresh token: marks it used and stores its successor and the new access token in its family,
/// in one statement. Nothing is written unless the presented token was still unused and its family unrevoked;
/// the row lock on the presented token makes a concurrent second exchange wait and then find it used. The family
/// lives on to the later expiry of the two new tokens, never shorter than before (see `InsertTokenFamily`).
struct RotateRefreshToken: PostgresPreparedStatement {
    static let name = "tessera.RotateRefreshToken"
    static let sql = """
        WITH used AS (
            UPDATE refresh_tokens SET used_at = $5
            WHERE tenant_id = $1 AND token_hash = $2 AND expires_at >= $3 AND expires_at < $4
              AND family_id = $6 AND used_at IS NULL AND revoked_at IS NULL
            RETURNING family_id
        ), family AS (
            UPDATE token_families SET expires_at = greatest(expires_at, $8::timestamptz, $14::timestamptz)
            WHERE tenant_id = $1 AND family_id IN (SELECT family_id FROM used) AND revoked_at IS NULL
            RETURNING family_id, application_id, user_id
        ), refresh AS (
            INSERT INTO refresh_tokens (tenant_id, token_hash, expires_at, family_id, application_id, user_id, subject,
                                        scopes, issued_at, audience)
            SELECT $1, $7, $8, family_id, application_id, user_id, $9, string_to_array($10, ' '), $5,
                   string_to_array(NULLIF($15, ''), ' ')
            FROM family
        ), batch AS (
            SELECT $1::bigint AS tenant_id, $11::bytea AS token_hash, application_id, $9::text AS subject,
                   $12::text AS scopes, $13::text AS grant_type, $5::timestamptz AS issued_at,
                   $14::timestamptz AS expires_at, user_id, family_id, false AS registers_user,
                   $16::text AS audience
            FROM family
        ), \(AccessTokenSQL.storeBatch)
        SELECT count(*) FROM family
        """
    typealias Row = Int64
    let presented: TokenReference
    let family: RefreshTokenState.FamilyID
    let accessToken: IssuedToken
    let refreshToken: IssuedRefreshToken

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 16)
        bindings.append(refreshToken.tenantID)
        bindings.append(ByteBuffer(bytes: presented.hash.bytes))
        bindings.append(presented.expiryDayRange.lowerBound)
        bindings.append(presented.expiryDayRange.upperBound)
        bindings.append(refreshToken.issuedAt)
        bindings.append(family)
        bindings.append(ByteBuffer(bytes: refreshToken.hash.bytes))
        bindings.append(refreshToken.expiresAt)
        bindings.append(refreshToken.subject)
        bindings.append(refreshToken.scopes.description)
        bindings.append(ByteBuffer(bytes: accessToken.hash.bytes))
        bindings.append(accessToken.scopes.description)
        bindings.append(accessToken.grantType.rawValue)
        bindings.append(accessToken.expiresAt)
        bindings.append(refreshToken.audienceText)
        bindings.append(accessToken.audienceText)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}
