import Synchronization
import TesseraCore

/// Keeps issued tokens in memory; can pretend the database is down.
public final class InMemoryTokenStore: TokenStore {
    private struct Contents {
        var tokens: [IssuedToken] = []
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

    /// Every token stored so far, in order.
    public var tokens: [IssuedToken] { contents.withLock { $0.tokens } }

    /// While true, `store` fails as a database that cannot be reached does.
    public var unavailable: Bool {
        get { contents.withLock { $0.unavailable } }
        set { contents.withLock { $0.unavailable = newValue } }
    }
}
