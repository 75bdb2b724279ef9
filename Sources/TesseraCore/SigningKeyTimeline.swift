import Foundation

/// The rule that keeps a verifier with a cached key set from ever meeting a token signed by a key it has not seen:
/// a key is published (in `GET /jwks`) before it signs, for longer than the key set may be cached, and stays published
/// after it stops signing until every token it signed has expired.
///
/// ```
///  created ──── next ────> activates ──── active ────> a later key activates, or retired
///  published ────────────────────────────────────────────────────────────────────────> + longest token lifetime
///                                                                                        + key set cache lifetime
/// ```
///
/// Pure functions of the keys and the clock: every instance reads the same keys from the database and, at the same
/// moment, picks the same signer. Nothing is switched over by a job, so an instance that learns of a key late still
/// signs with a key that is published.
public struct SigningKeyTimeline: Sendable {
    /// How long a verifier may cache the key set: the `max-age` of `GET /jwks`.
    public static let keySetMaxAge = 3600
    /// How long a new key is published before it signs: the cache lifetime and a margin for clocks and for caches
    /// between the verifier and us that count age loosely.
    public static let activationDelay: TimeInterval = TimeInterval(keySetMaxAge + 300)

    public let keys: [SigningKey]
    /// The longest an access token of the tenant may live: a retired key stays published this long after it stopped
    /// signing (plus the key set's cache lifetime).
    public let longestTokenLifetime: TimeInterval

    public init(keys: [SigningKey], longestTokenLifetime: TimeInterval) {
        self.keys = keys
        self.longestTokenLifetime = longestTokenLifetime
    }

    /// The moment `key` stops signing: when it is retired, or when a later key that was not retired before it
    /// activated takes over; nil while neither is set.
    public func signingEnds(_ key: SigningKey) -> Date? {
        var end = key.retiredAt
        for other in keys where other.id != key.id && Self.isLater(other, than: key) && other.everSigns {
            end = min(end ?? other.activatesAt, other.activatesAt)
        }
        return end
    }

    /// The moment `key` leaves the key set: its last token has expired (with a cache lifetime to spare, for an
    /// instance that learnt of the next key late). Nil while it signs with no end set.
    public func publishedUntil(_ key: SigningKey) -> Date? {
        // Retired before it ever signed: no token to verify, nothing to keep.
        guard key.everSigns else { return key.retiredAt }
        return signingEnds(key).map { $0.addingTimeInterval(longestTokenLifetime + TimeInterval(Self.keySetMaxAge)) }
    }

    public func state(of key: SigningKey, at now: Date) -> SigningKey.State {
        guard key.everSigns else { return now < key.retiredAt! ? .next : .expired }
        if now < key.activatesAt { return .next }
        guard let end = signingEnds(key), end <= now else { return .active }
        return now < publishedUntil(key)! ? .retired : .expired
    }

    /// The key that signs at `now`: the latest activated key not yet ended. Nil before a tenant's first key.
    public func signer(at now: Date) -> SigningKey? {
        keys.filter { state(of: $0, at: now) == .active }.max { Self.isLater($1, than: $0) }
    }

    /// The keys in the key set at `now`: next, active and retired ones.
    public func published(at now: Date) -> [SigningKey] {
        keys.filter { state(of: $0, at: now) != .expired }
    }

    /// Whether a new key should be made at `now` so that it activates by the time the signer is `period` old: the
    /// automatic rotation. Never while a key is already waiting to activate.
    public func needsRotation(at now: Date, period: TimeInterval) -> Bool {
        guard !keys.contains(where: { state(of: $0, at: now) == .next }) else { return false }
        guard let signer = signer(at: now) else { return true }
        return now >= signer.activatesAt.addingTimeInterval(period - Self.activationDelay)
    }

    /// When a key made at `now` starts signing: at once for a tenant with no signer (no verifier can hold a token
    /// of it yet), else after `activationDelay`.
    public func activation(ofKeyMadeAt now: Date) -> Date {
        signer(at: now) == nil ? now : now.addingTimeInterval(Self.activationDelay)
    }

    /// Activation order, with the id breaking a tie so that every instance picks the same signer.
    public static func isLater(_ key: SigningKey, than other: SigningKey) -> Bool {
        (key.activatesAt, key.id) > (other.activatesAt, other.id)
    }
}

extension SigningKey {
    /// False for a key retired before it activated.
    var everSigns: Bool { retiredAt.map { $0 > activatesAt } ?? true }
}
