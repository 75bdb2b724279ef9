import Foundation

/// An authorization code as it is stored (RFC 6749 §4.1.2, RFC 9700 §2.1.1): bound to the client, the redirect URI,
/// the PKCE challenge, the user, and the scopes and resources the user consented to. The code itself is only ever
/// held by the client; the store keeps its hash.
public struct AuthorizationCode: Sendable, Equatable {
    public let hash: TokenHash
    public let tenantID: Tenant.ID
    public let applicationID: ClientApplication.ID
    public let userID: User.ID
    /// The user's name, filled in when the code is redeemed (the token speaks for the user by name).
    public let username: String
    /// The redirect URI the authorization request named, which the token request must name too (RFC 6749 §4.1.3);
    /// nil when it named none (the client's only one was used).
    public let redirectURI: String?
    public let challenge: PKCEChallenge
    public let scopes: ScopeSet
    public let resources: [String]
    public let expiresAt: Date

    /// RFC 6749 §4.1.2 asks for a short lifetime, ten minutes at most; a browser redirect and a token request take
    /// seconds, so a code lives one minute.
    public static let lifetime: TimeInterval = 60

    public init(
        hash: TokenHash, tenantID: Tenant.ID, applicationID: ClientApplication.ID, userID: User.ID, username: String,
        redirectURI: String?, challenge: PKCEChallenge, scopes: ScopeSet, resources: [String], expiresAt: Date
    ) {
        self.hash = hash
        self.tenantID = tenantID
        self.applicationID = applicationID
        self.userID = userID
        self.username = username
        self.redirectURI = redirectURI
        self.challenge = challenge
        self.scopes = scopes
        self.resources = resources
        self.expiresAt = expiresAt
    }

    /// A new random code: 256 bits, base64url, with a prefix secret scanners can spot.
    public static func generate() -> String { "tsr_ac_" + CredentialGenerator.randomBase64URL(byteCount: 32) }

    /// Whether `text` could be one of our codes; anything else is refused without a lookup.
    public static func isPlausible(_ text: String) -> Bool {
        text.utf8.count == 50 && text.hasPrefix("tsr_ac_")
    }
}

/// What redeeming a code came to.
public enum CodeRedemption: Sendable, Equatable {
    /// The code was valid and is now used: the caller issues its tokens.
    case redeemed(AuthorizationCode)
    /// The code was used before: a second party holds it. The tokens issued for it are listed, for the caller to
    /// revoke (RFC 6749 §4.1.2, RFC 9700 §4.5).
    case replayed(applicationID: ClientApplication.ID, issued: [TokenReference])
    /// Unknown or expired.
    case invalid
}

/// Where authorization codes are kept between the authorization endpoint and the token endpoint.
public protocol AuthorizationCodeStore: Sendable {
    func save(_ code: AuthorizationCode) async throws
    /// Marks the code used if it is unexpired at `now` and unused, and returns it with its user's name (the user
    /// enabled); a used code is a replay.
    func redeem(_ hash: TokenHash, tenantID: Tenant.ID, at now: Date) async throws -> CodeRedemption
    /// Remembers the tokens issued for a redeemed code, so that a replay can revoke them. False when the code was
    /// replayed meanwhile: the caller revokes them itself.
    func recordIssued(_ tokens: [TokenReference], code: TokenHash, tenantID: Tenant.ID) async throws -> Bool
}
