import Foundation

/// One of a tenant's signing keys as every instance sees it: its id, algorithm and public JWK, and the moments that
/// place it on the timeline (`SigningKeyTimeline`). The private half is kept apart (`SigningKeyPair`), sealed in the
/// database.
public struct SigningKey: Sendable, Hashable {
    /// The JWS `kid`: random, so that it says nothing about the tenant or the time.
    public let id: String
    public let algorithm: SigningAlgorithm
    /// The public key as a JWK object (`SigningKeyPair.publicJWK`).
    public let publicJWK: String
    /// Published in the key set from this moment.
    public let createdAt: Date
    /// Signs from this moment, unless a later key has become active or it was retired.
    public let activatesAt: Date
    /// Set by `tessera key retire`: signs nothing from this moment.
    public let retiredAt: Date?

    public init(
        id: String, algorithm: SigningAlgorithm, publicJWK: String, createdAt: Date, activatesAt: Date,
        retiredAt: Date? = nil
    ) {
        self.id = id
        self.algorithm = algorithm
        self.publicJWK = publicJWK
        self.createdAt = createdAt
        self.activatesAt = activatesAt
        self.retiredAt = retiredAt
    }

    /// A new key id: 16 letters and digits (95 bits). Not base64url: an id starting with "-" would read as an option
    /// in `tessera key retire --kid ID`.
    public static func newID() -> String { CredentialGenerator.alphanumeric(count: 16) }

    /// Where a key stands at a moment.
    public enum State: String, Sendable, Hashable {
        /// Published, not yet signing: verifiers fetch it before the first token it signs.
        case next
        /// The key that signs.
        case active
        /// Signs no more; published until the last token it signed has expired.
        case retired
        /// No longer published: every token it signed has expired. Purge deletes it.
        case expired
    }
}
