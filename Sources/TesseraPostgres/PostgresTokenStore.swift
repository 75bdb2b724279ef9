import PostgresNIO
import TesseraCore

/// Stores each access token on its own: the same statement as `GroupCommitTokenStore` with a batch of one.
/// For tools and tests; the server uses group commit.
public struct PostgresTokenStore: TokenStore {
    private let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func store(_ token: IssuedToken) async throws {
        let statement = InsertAccessTokens(tokens: [token])
        try await TokenPartitions.run(client, creating: "access_tokens", for: [token.expiresAt]) { [client] in
            for try await _ in try await client.execute(statement) {}
        }
    }

    public func store(_ token: IssuedToken, startingFamilyWith refreshToken: IssuedRefreshToken) async throws {
        try await InsertTokenFamily.run(client, accessToken: token, refreshToken: refreshToken)
    }
}
