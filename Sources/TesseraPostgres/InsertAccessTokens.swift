import NIOCore
import PostgresNIO
import TesseraCore

/// One INSERT for a whole batch of access tokens: each column travels as one array parameter, so the
/// statement stays the same (and prepared) whatever the batch size.
struct InsertAccessTokens: PostgresPreparedStatement {
    static let name = "tessera.InsertAccessTokens"
    static let sql = """
        WITH batch AS (
            SELECT tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at,
                   NULLIF(user_id, 0) AS user_id, NULL::bigint AS family_id, registers_user, audience
            FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                        $7::timestamptz[], $8::timestamptz[], $9::bigint[], $10::bool[], $11::text[])
                AS b (tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at,
                      user_id, registers_user, audience)
        ), \(AccessTokenSQL.storeBatch)
        \(AccessTokenSQL.registerUsersOfBatch)
        """
    typealias Row = Void
    let tokens: [IssuedToken]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11)
        bindings.append(tokens.map(\.tenantID))
        bindings.append(tokens.map { ByteBuffer(bytes: $0.hash.bytes) })
        bindings.append(tokens.map(\.applicationID))
        bindings.append(tokens.map(\.subject))
        // Scope tokens never contain a space (RFC 6749 §3.3), so a space-joined string round-trips.
        bindings.append(tokens.map(\.scopes.description))
        bindings.append(tokens.map(\.grantType.rawValue))
        bindings.append(tokens.map(\.issuedAt))
        bindings.append(tokens.map(\.expiresAt))
        // 0 stands for "no user": identities start at 1, and arrays of optionals do not bind.
        bindings.append(tokens.map { $0.userID ?? 0 })
        bindings.append(tokens.map(\.registersUser))
        bindings.append(tokens.map(\.audienceText))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// SQL shared by the statements that store access tokens. Each defines a CTE `batch` with the columns
/// tenant_id, token_hash, application_id, subject, scopes (space-joined), grant_type, issued_at, expires_at,
/// user_id and family_id (both NULL when none), registers_user (`IssuedToken.registersUser`) and audience
/// (`audienceText`).
enum AccessTokenSQL {
    static let storeBatch = """
        stored AS (
            INSERT INTO access_tokens (tenant_id, token_hash, expires_at, application_id, user_id, family_id, subject,
                                       scopes, grant_type, issued_at, audience)
            SELECT tenant_id, token_hash, expires_at, application_id, user_id, family_id, subject,
                   string_to_array(scopes, ' '), grant_type, issued_at, string_to_array(NULLIF(audience, ''), ' ')
            FROM batch
        )
        """

    /// Registered users, written in the same statement as the tokens and hence in the same transaction. Which
    /// tokens register their user is the grant's to say (`IssuedToken.registersUser`), not this SQL's.
    static let registerUsersOfBatch = """
        INSERT INTO registered_users (tenant_id, application_id, user_id, first_token_at, last_token_at, token_count)
        SELECT tenant_id, application_id, user_id, min(issued_at), max(issued_at), count(*)
        FROM batch WHERE registers_user AND user_id IS NOT NULL
        GROUP BY tenant_id, application_id, user_id
        ON CONFLICT (tenant_id, application_id, user_id) DO UPDATE
        SET last_token_at = greatest(registered_users.last_token_at, excluded.last_token_at),
            token_count = registered_users.token_count + excluded.token_count
        """
}

extension IssuedToken {
    /// The audience as one text, empty for none: resources are URIs, which never contain a space, and arrays of
    /// arrays do not bind.
    var audienceText: String { audience.joined(separator: " ") }
}

extension IssuedRefreshToken {
    var audienceText: String { audience.joined(separator: " ") }
}
