import Foundation

/// Where reusable tokens are kept (sealed), one per `ReuseKey`.
public protocol TokenReuseStore: Sendable {
    /// The current token for `key`: live (active and unexpired at `now`), or replaceable, with the `issuedAt` of the
    /// row seen (nil when there is none) for `claim`. Whether a live token suits a request is `ReuseRule`'s to say.
    func current(_ key: ReuseKey, at now: Date) async throws -> ReusableToken

    /// Stores `token` as the key's new token, and the token itself, in one transaction, unless another request
    /// replaced the row seen meanwhile: then false, and nothing is written.
    func claim(_ key: ReuseKey, replacing seen: Date?, token: IssuedToken, sealed: [UInt8]) async throws -> Bool
}

public enum ReusableToken: Sendable, Equatable {
    case live(sealed: [UInt8], issuedAt: Date, expiresAt: Date)
    case replaceable(seen: Date?)
}

/// Token reuse as the issuer needs it: the store, and the key that seals tokens.
public struct ReusableTokens: Sendable {
    let store: any TokenReuseStore
    let sealer: ServerKey

    public init(store: any TokenReuseStore, sealer: ServerKey) {
        self.store = store
        self.sealer = sealer
    }
}
