import Foundation
import Logging

/// RFC 9068 JWT access tokens, signed with the tenant's active key (`SigningKeyTimeline`).
///
/// Header `typ: at+jwt`, `alg`, `kid`; claims `iss` (the tenant's issuer, as discovery gives it), `sub`, `aud`,
/// `client_id`, `iat`, `exp`, `jti` and `scope`. Nothing else: no secret, no hash, no name the client did not send.
/// `sub` is the consumer key for a client's own token (RFC 9068 §2.2) and the user's id for a user's, which stays the
/// same whatever else changes about the user; introspection also gives the username.
public struct JWTAccessTokenFormat: AccessTokenFormat {
    private let keys: any SigningKeySource
    private let issuer: IssuerURL
    private let logger: Logger
    private let logThrottle: LogThrottle

    public init(keys: any SigningKeySource, issuer: IssuerURL, logger: Logger, logThrottle: LogThrottle = LogThrottle())
    {
        self.keys = keys
        self.issuer = issuer
        self.logger = logger
        self.logThrottle = logThrottle
    }

    public func write(_ claims: AccessTokenClaims) async throws -> String {
        var signer = try await keys.keys(of: claims.tenant.id).signer(at: claims.issuedAt)
        if case .none = signer {
            signer = try await keys.makeFirstKey(of: claims.tenant.id, at: claims.issuedAt).signer(at: claims.issuedAt)
        }
        switch signer {
        case .key(let pair, let header):
            return try Self.sign(claims, issuer: issuer.url(for: claims.tenant), header: header, with: pair)
        case .sealedElsewhere(let key):
            // Every JWT of the tenant meets this until the key is fixed: once a minute per key is enough to see it.
            if logThrottle.allows(key.id) {
                logger.error(
                    "the tenant's signing key was sealed under another server key: give every instance the same TESSERA_KEY",
                    metadata: ["tenant": "\(claims.tenant.domain)", "kid": "\(key.id)"])
            }
            throw OAuthError.temporarilyUnavailable(detail: "signing key unavailable on this instance")
        case .none:
            throw OAuthError.temporarilyUnavailable(detail: "no signing key")
        }
    }

    /// The token's text: `header.payload.signature`, the payload's members in a fixed order. Built as bytes in one
    /// buffer and signed where it lies: string appends, their copies to bytes and back cost 5 µs of a token.
    static func sign(
        _ claims: AccessTokenClaims, issuer: String, header: [UInt8], with pair: SigningKeyPair
    ) throws -> String {
        var payload: [UInt8] = []
        payload.reserveCapacity(256 + issuer.utf8.count + claims.audience.reduce(0) { $0 + $1.utf8.count })
        payload.append(contentsOf: #"{"iss":"#.utf8)
        JSONString.append(issuer, to: &payload)
        payload.append(contentsOf: #","sub":"#.utf8)
        switch claims.subject {
        case .client(let consumerKey): JSONString.append(consumerKey, to: &payload)
        case .user(let username): JSONString.append(claims.userID.map { String($0) } ?? username, to: &payload)
        }
        payload.append(contentsOf: #","aud":"#.utf8)
        // RFC 7519 §4.1.3: a single audience may be a string; several are an array.
        if claims.audience.count == 1 {
            JSONString.append(claims.audience[0], to: &payload)
        } else {
            payload.append(UInt8(ascii: "["))
            for (index, audience) in claims.audience.enumerated() {
                if index > 0 { payload.append(UInt8(ascii: ",")) }
                JSONString.append(audience, to: &payload)
            }
            payload.append(UInt8(ascii: "]"))
        }
        payload.append(contentsOf: #","client_id":"#.utf8)
        JSONString.append(claims.client.consumerKey, to: &payload)
        payload.append(contentsOf: #","iat":"#.utf8)
        payload.append(contentsOf: String(Int(claims.issuedAt.timeIntervalSince1970.rounded(.down))).utf8)
        payload.append(contentsOf: #","exp":"#.utf8)
        payload.append(contentsOf: String(Int(claims.expiresAt.timeIntervalSince1970.rounded(.down))).utf8)
        payload.append(contentsOf: #","jti":"#.utf8)
        JSONString.append(CredentialGenerator.randomBase64URL(byteCount: 16), to: &payload)
        payload.append(contentsOf: #","scope":"#.utf8)
        JSONString.append(claims.scopes.description, to: &payload)
        payload.append(UInt8(ascii: "}"))

        var token = header
        // Two dots, the payload's base64url and the signature's (86 characters for ES256, 342 for RS256).
        token.reserveCapacity(header.count + 2 + (payload.count * 4 + 2) / 3 + 342)
        token.append(UInt8(ascii: "."))
        payload.withUnsafeBytes { Base64URL.append($0, to: &token) }
        let signature = try token.withUnsafeBytes { try pair.sign($0) }
        token.append(UInt8(ascii: "."))
        signature.withUnsafeBytes { Base64URL.append($0, to: &token) }
        return String(decoding: token, as: UTF8.self)
    }
}
