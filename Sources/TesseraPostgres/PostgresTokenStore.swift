import NIOCore
import PostgresNIO
import TesseraCore

/// Stores access token hashes: one prepared INSERT, one round trip, committed before the response goes out.
public struct PostgresTokenStore: TokenStore {
    private let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func store(_ token: IssuedToken) async throws {
        let statement = InsertAccessToken(token: token)
        try await PostgresAvailability.run { [client] in
            for try await _ in try await client.execute(statement) {}
        }
    }
}

struct InsertAccessToken: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO access_tokens
            (tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """
    typealias Row = Void
    let token: IssuedToken

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(token.tenantID)
        bindings.append(ByteBuffer(bytes: token.hash.bytes))
        bindings.append(token.applicationID)
        bindings.append(token.subject)
        bindings.append(token.scopes.tokens)
        bindings.append(token.grantType.rawValue)
        bindings.append(token.issuedAt)
        bindings.append(token.expiresAt)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
