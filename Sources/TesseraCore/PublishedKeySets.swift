/// The JWK sets clients publish at the `jwks_uri` they registered (RFC 7591 §2), as `private_key_jwt` reads them.
/// Fetching and caching live outside the core (`TesseraFetch`); the core only asks.
public protocol PublishedKeySets: Sendable {
    /// The key set published at `url`. `refresh` asks for a newer one than the cached (an assertion names a `kid` the
    /// cached set lacks: the client rotated its keys), which the cache may grant at most so often.
    func keySet(at url: String, refresh: Bool) async throws -> ClientKeySet
}
