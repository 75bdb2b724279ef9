import PostgresNIO
import TesseraCore

/// Stores each access token on its own: the same statement as `GroupCommitTokenStore` with a batch of one.
/// For tools and tests; the server uses group commit.
public struct PostgresTokenStore: TokenStore {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func store(_ token: IssuedToken) async throws {
        let statement = InsertAccessTokens(tokens: [token])
        try await TokenPartitions.run(client, creating: "access_tokens", for: [token.expiresAt]) { [client] in
            _ = try await client.committed(statement)
        }
    }

    public func store(_ token: IssuedToken, startingFamilyWith refreshToken: IssuedRefreshToken) async throws {
        try await InsertTokenFamily.run(client, accessToken: token, refreshToken: refreshToken)
    }
}
