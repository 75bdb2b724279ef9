import Foundation
import PostgresNIO
import TesseraCore

/// Authorization codes in `authorization_codes`, by hash. Redeeming is one conditional UPDATE, so that of two
/// presentations at once exactly one gets the code; the other finds it used and is a replay.
public struct PostgresAuthorizationCodes: AuthorizationCodeStore {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func save(_ code: AuthorizationCode) async throws {
        try await PostgresAvailability.run { [client] in
            _ = try await client.committed(
                """
                INSERT INTO authorization_codes (tenant_id, code_hash, application_id, user_id, redirect_uri,
                    code_challenge, scopes, resources, expires_at)
                VALUES (\(code.tenantID), \(ByteBuffer(bytes: code.hash.bytes)), \(code.applicationID), \(code.userID),
                    \(code.redirectURI), \(code.challenge.value), \(code.scopes.tokens), \(code.resources),
                    \(code.expiresAt))
                """)
        }
    }

    public func redeem(_ hash: TokenHash, tenantID: Tenant.ID, at now: Date) async throws -> CodeRedemption {
        let key = ByteBuffer(bytes: hash.bytes)
        return try await PostgresAvailability.run { [client] in
            let used = try await client.committed(
                """
                UPDATE authorization_codes c SET used_at = \(now)
                FROM users u
                WHERE c.tenant_id = \(tenantID) AND c.code_hash = \(key) AND c.used_at IS NULL
                  AND c.expires_at > \(now) AND u.tenant_id = c.tenant_id AND u.user_id = c.user_id
                RETURNING c.application_id, c.user_id, u.username, u.enabled, c.redirect_uri, c.code_challenge,
                          c.scopes, c.resources, c.expires_at
                """)
            if let row = used.first {
                let (applicationID, userID, username, enabled, redirectURI, challenge, scopes, resources, expiresAt) =
                    try row.decode((Int64, Int64, String, Bool, String?, String, [String], [String], Date).self)
                guard enabled, let challenge = try? PKCEChallenge(challenge: challenge, method: "S256") else {
                    return .invalid
                }
                return .redeemed(
                    AuthorizationCode(
                        hash: hash, tenantID: tenantID, applicationID: applicationID, userID: userID,
                        username: username, redirectURI: redirectURI, challenge: challenge,
                        scopes: ScopeSet(scopes), resources: resources, expiresAt: expiresAt))
            }
            let replayed = try await client.committed(
                """
                UPDATE authorization_codes SET replayed_at = coalesce(replayed_at, \(now))
                WHERE tenant_id = \(tenantID) AND code_hash = \(key) AND used_at IS NOT NULL
                RETURNING application_id, issued_tokens
                """)
            guard let row = replayed.first else { return .invalid }
            let (applicationID, issued) = try row.decode((Int64, [String]).self)
            return .replayed(applicationID: applicationID, issued: issued.compactMap(Self.reference))
        }
    }

    public func recordIssued(_ tokens: [TokenReference], code: TokenHash, tenantID: Tenant.ID) async throws -> Bool {
        let key = ByteBuffer(bytes: code.bytes)
        let issued = tokens.map(Self.text)
        return try await PostgresAvailability.run { [client] in
            let rows = try await client.committed(
                """
                UPDATE authorization_codes SET issued_tokens = \(issued)
                WHERE tenant_id = \(tenantID) AND code_hash = \(key) AND replayed_at IS NULL
                RETURNING 1
                """)
            return !rows.isEmpty
        }
    }

    /// `at:<hash hex>:<expiry day>` or `rt:...`: enough to find the token's row and revoke it.
    static func text(_ reference: TokenReference) -> String {
        let kind = reference.kind == .access ? "at" : "rt"
        let hex = reference.hash.bytes.hexadecimal
        return "\(kind):\(hex):\(reference.expiryDay)"
    }

    static func reference(_ text: String) -> TokenReference? {
        let parts = text.split(separator: ":")
        guard parts.count == 3, parts[1].count == 64, let day = Int(parts[2]) else { return nil }
        let kind: TokenReference.Kind
        switch parts[0] {
        case "at": kind = .access
        case "rt": kind = .refresh
        default: return nil
        }
        var bytes: [UInt8] = []
        var index = parts[1].startIndex
        while index < parts[1].endIndex {
            let next = parts[1].index(index, offsetBy: 2)
            guard let byte = UInt8(parts[1][index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return TokenReference(kind: kind, hash: TokenHash(bytes: bytes), expiryDay: day)
    }
}
