/// A successful token response (RFC 6749 §5.1).
public struct TokenResponse: Sendable, Equatable {
    public let accessToken: String
    public let tokenType: String
    /// Seconds until the token expires.
    public let expiresIn: Int
    public let scope: ScopeSet
    /// Grant-specific extra members (a refresh token, say), string-valued.
    public let additionalFields: [String: String]

    public init(accessToken: String, expiresIn: Int, scope: ScopeSet, additionalFields: [String: String] = [:]) {
        self.accessToken = accessToken
        self.tokenType = "Bearer"
        self.expiresIn = expiresIn
        self.scope = scope
        self.additionalFields = additionalFields
    }
}
