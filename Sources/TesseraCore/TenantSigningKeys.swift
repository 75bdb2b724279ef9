import Crypto
import Foundation

/// A tenant's signing keys as one instance holds them in memory: the timeline every instance agrees on, the private
/// halves this instance could open with its server key, and what `GET /jwks` answers.
public struct TenantSigningKeys: Sendable {
    public let tenantID: Tenant.ID
    public let timeline: SigningKeyTimeline
    /// Private keys by `kid`. A key sealed under another server key is missing: it is published, but this instance
    /// cannot sign with it.
    private let pairs: [String: SigningKeyPair]
    /// Each key's JOSE header, base64url as UTF-8 bytes, made once: `{"alg":...,"kid":...,"typ":"at+jwt"}`.
    private let headers: [String: [UInt8]]

    public init(tenantID: Tenant.ID, timeline: SigningKeyTimeline, pairs: [String: SigningKeyPair]) {
        self.tenantID = tenantID
        self.timeline = timeline
        self.pairs = pairs
        var headers: [String: [UInt8]] = [:]
        for key in timeline.keys {
            var header = "{\"alg\":"
            JSONString.append(key.algorithm.name, to: &header)
            header += ",\"kid\":"
            JSONString.append(key.id, to: &header)
            header += ",\"typ\":\"at+jwt\"}"
            headers[key.id] = Array(Base64URL.encode(Array(header.utf8)).utf8)
        }
        self.headers = headers
    }

    /// What signs at `now`.
    public enum Signer: Sendable {
        case key(SigningKeyPair, encodedHeader: [UInt8])
        /// The tenant has no key that signs at `now`: one must be made.
        case none
        /// The key that signs was sealed under another server key: this instance's key differs from the others'.
        case sealedElsewhere(SigningKey)
    }

    public func signer(at now: Date) -> Signer {
        guard let key = timeline.signer(at: now) else { return .none }
        guard let pair = pairs[key.id], let header = headers[key.id] else { return .sealedElsewhere(key) }
        return .key(pair, encodedHeader: header)
    }

    /// `GET /jwks` at `now`: the published keys' public JWKs (RFC 7517 §5), an ETag of that text, and how many.
    public func keySet(at now: Date) -> (json: String, etag: String, count: Int) {
        let published = timeline.published(at: now)
        let json = "{\"keys\":[" + published.map(\.publicJWK).joined(separator: ",") + "]}"
        let digest = SHA256.hash(data: Array(json.utf8))
        let etag = "\"" + Base64URL.encode(Array(digest.prefix(16))) + "\""
        return (json, etag, published.count)
    }
}

/// Where the JWT format gets a tenant's keys: memory in front of the database (`CachedSigningKeys`).
public protocol SigningKeySource: Sendable {
    /// The tenant's keys as this instance knows them.
    func keys(of tenantID: Tenant.ID) async throws -> TenantSigningKeys
    /// Makes the tenant's first key, signing at once, unless another instance made one meanwhile; returns the keys
    /// as they then are.
    func makeFirstKey(of tenantID: Tenant.ID, at now: Date) async throws -> TenantSigningKeys
}
