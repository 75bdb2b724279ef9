/// Durable storage of issued tokens.
///
/// Each call returns only once its tokens are committed, so that a token is never handed out that a restart
/// could forget. Implementations may write concurrent calls together in one batch (group commit).
public protocol TokenStore: Sendable {
    func store(_ token: IssuedToken) async throws
    /// Stores an access token with the refresh token of a new family, in one transaction.
    func store(_ token: IssuedToken, startingFamilyWith refreshToken: IssuedRefreshToken) async throws
}

/// Thrown by stores when the database cannot be reached; the endpoint answers 503 `temporarily_unavailable`.
public struct StoreUnavailableError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
