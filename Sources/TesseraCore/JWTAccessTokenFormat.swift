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

    public init(keys: any SigningKeySource, issuer: IssuerURL, logger: Logger) {
        self.keys = keys
        self.issuer = issuer
        self.logger = logger
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
            logger.error(
                "the tenant's signing key was sealed under another server key: give every instance the same TESSERA_KEY",
                metadata: ["tenant": "\(claims.tenant.domain)", "kid": "\(key.id)"])
            throw OAuthError.temporarilyUnavailable(detail: "signing key unavailable on this instance")
        case .none:
            throw OAuthError.temporarilyUnavailable(detail: "no signing key")
        }
    }

    /// The token's text: `header.payload.signature`, the payload's members in a fixed order.
    static func sign(
        _ claims: AccessTokenClaims, issuer: String, header: String, with pair: SigningKeyPair
    ) throws -> String {
        var payload = "{\"iss\":"
        JSONString.append(issuer, to: &payload)
        payload += ",\"sub\":"
        switch claims.subject {
        case .client(let consumerKey): JSONString.append(consumerKey, to: &payload)
        case .user(let username): JSONString.append(claims.userID.map { String($0) } ?? username, to: &payload)
        }
        payload += ",\"aud\":"
        // RFC 7519 §4.1.3: a single audience may be a string; several are an array.
        if claims.audience.count == 1 {
            JSONString.append(claims.audience[0], to: &payload)
        } else {
            payload += "["
            for (index, audience) in claims.audience.enumerated() {
                if index > 0 { payload += "," }
                JSONString.append(audience, to: &payload)
            }
            payload += "]"
        }
        payload += ",\"client_id\":"
        JSONString.append(claims.client.consumerKey, to: &payload)
        payload += ",\"iat\":\(Int(claims.issuedAt.timeIntervalSince1970.rounded(.down)))"
        payload += ",\"exp\":\(Int(claims.expiresAt.timeIntervalSince1970.rounded(.down)))"
        payload += ",\"jti\":"
        JSONString.append(CredentialGenerator.randomBase64URL(byteCount: 16), to: &payload)
        payload += ",\"scope\":"
        JSONString.append(claims.scopes.description, to: &payload)
        payload += "}"
        var token = header
        token += "."
        token += Base64URL.encode(Array(payload.utf8))
        let signature = try pair.sign(Array(token.utf8))
        token += "."
        token += Base64URL.encode(signature)
        return token
    }
}
