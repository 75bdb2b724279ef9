import Synchronization
import TesseraCore

/// Keeps issued tokens in memory; can pretend the database is down.
public final class InMemoryTokenStore: TokenStore {
    private struct Contents {
        var tokens: [IssuedToken] = []
        var refreshTokens: [IssuedRefreshToken] = []
        var unavailable = false
    }

    private let contents = Mutex(Contents())

    public init() {}

    public func store(_ token: IssuedToken) async throws {
        try contents.withLock {
            if $0.unavailable { throw StoreUnavailableError("the in-memory store is set unavailable") }
            $0.tokens.append(token)
        }
    }

    public func store(_ token: IssuedToken, startingFamilyWith refreshToken: IssuedRefreshToken) async throws {
        try contents.withLock {
            if $0.unavailable { throw StoreUnavailableError("the in-memory store is set unavailable") }
            $0.tokens.append(token)
            $0.refreshTokens.append(refreshToken)
        }
    }

    /// Every refresh token that started a family, in order.
    public var refreshTokens: [IssuedRefreshToken] { contents.withLock { $0.refreshTokens } }

    /// Every token stored so far, in order.
    public var tokens: [IssuedToken] { contents.withLock { $0.tokens } }

    /// While true, `store` fails as a database that cannot be reached does.
    public var unavailable: Bool {
        get { contents.withLock { $0.unavailable } }
        set { contents.withLock { $0.unavailable = newValue } }
    }
}
