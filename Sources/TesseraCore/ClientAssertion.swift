import Crypto
import Foundation

/// A client's proof of itself for `private_key_jwt` (RFC 7523 §2.2 and §3, OpenID Connect Core §9): a short JWT it
/// signed with its own private key. Parsed before the client is looked up (its `sub` names the client); every check
/// that needs the client's keys or the clock comes after, in `failure(keys:consumerKey:audiences:at:)`.
public struct ClientAssertion: Sendable {
    /// `client_assertion_type`, exactly.
    public static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// Longest assertion accepted, in bytes; an RS256 assertion with a 4096-bit key is under 1.5 KiB.
    public static let maximumLength = 8 * 1024
    /// Furthest ahead `exp` may be: an assertion is made for one request, and its `jti` is kept until it expires.
    public static let maximumLifetime: TimeInterval = 600
    /// Clock difference tolerated between the client and the server for `exp`, `nbf` and `iat`.
    public static let clockSkew: TimeInterval = 60
    /// Longest `jti` accepted, in bytes.
    public static let maximumIDLength = 256

    let algorithm: String
    let keyID: String?
    let signingInput: Data
    let signature: Data
    public let issuer: String
    public let subject: String
    let audiences: [String]
    public let expiresAt: Date
    let notBefore: Date?
    let issuedAt: Date?
    /// SHA-256 of `jti`: what the replay check stores.
    public let idHash: [UInt8]

    /// Parses a compact JWS; `invalid_client` for anything that is not a well-formed assertion.
    public init(_ text: String) throws(OAuthError) {
        guard text.utf8.count <= Self.maximumLength else { throw .invalidClient(detail: "client assertion too long") }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let claimBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]), !signature.isEmpty,
            let header = try? JSONDecoder().decode(Header.self, from: headerBytes)
        else { throw .invalidClient(detail: "malformed client assertion") }
        // No extension is understood, so none may be critical (RFC 7515 §4.1.11).
        guard ClientKeySet.algorithms.contains(header.alg), header.crit == nil else {
            throw .invalidClient(detail: "client assertion algorithm not accepted")
        }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: claimBytes), !claims.jti.isEmpty,
            claims.jti.utf8.count <= Self.maximumIDLength, claims.exp.isFinite,
            claims.nbf?.isFinite ?? true, claims.iat?.isFinite ?? true
        else { throw .invalidClient(detail: "client assertion lacks a valid iss, sub, aud, exp or jti") }
        let (algorithm, issuer, subject, audiences) = (header.alg, claims.iss, claims.sub, claims.aud.values)
        let expiry = Date(timeIntervalSince1970: claims.exp)
        let notBefore = claims.nbf.map { Date(timeIntervalSince1970: $0) }
        let issuedAt = claims.iat.map { Date(timeIntervalSince1970: $0) }
        let jti = claims.jti
        self.algorithm = algorithm
        self.keyID = header.kid
        self.signingInput = Data(text.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        self.signature = signature
        self.issuer = issuer
        self.subject = subject
        self.audiences = audiences
        self.expiresAt = expiry
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.idHash = Array(SHA256.hash(data: Data(jti.utf8)))
    }

    /// Why the assertion does not authenticate `consumerKey` at `now`, or nil when it does (apart from replay, which
    /// the caller checks last, so that a forged assertion never uses up a `jti`). The reason is for the log only.
    public func failure(keys: ClientKeySet, consumerKey: String, audiences accepted: Set<String>, at now: Date)
        -> String?
    {
        guard issuer == consumerKey, subject == consumerKey else { return "iss and sub are not the client" }
        guard audiences.contains(where: accepted.contains) else { return "aud is not this tenant's issuer" }
        guard keys.verifies(signature: signature, over: signingInput, algorithm: algorithm, kid: keyID) else {
            return "signature does not verify with the client's keys"
        }
        guard now < expiresAt.addingTimeInterval(Self.clockSkew) else { return "expired" }
        guard expiresAt.timeIntervalSince(now) <= Self.maximumLifetime + Self.clockSkew else {
            return "exp is further ahead than \(Int(Self.maximumLifetime)) s"
        }
        if let notBefore, now.addingTimeInterval(Self.clockSkew) < notBefore { return "not yet valid (nbf)" }
        if let issuedAt, now.addingTimeInterval(Self.clockSkew) < issuedAt { return "issued in the future (iat)" }
        return nil
    }

    private struct Header: Decodable {
        let alg: String
        let kid: String?
        let crit: [String]?
    }

    /// NumericDates are JSON numbers (RFC 7519 §2): a string or a boolean does not decode as one.
    private struct Claims: Decodable {
        let iss: String
        let sub: String
        let aud: Audience
        let exp: Double
        let nbf: Double?
        let iat: Double?
        let jti: String
    }

    /// `aud`: one string or an array of them (RFC 7519 §4.1.3).
    private struct Audience: Decodable {
        let values: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let single = try? container.decode(String.self) {
                values = [single]
            } else {
                values = try container.decode([String].self)
            }
        }
    }
}
