/// The rules every grant that issues an access token applies to `scope` and `validity_period`.
extension ClientApplication {
    /// RFC 6749 §3.3: the requested scopes, each of which the application must be allowed, or its
    /// default scopes when the request names none.
    public func grantedScopes(requested: String?) throws(OAuthError) -> ScopeSet {
        guard let requested else { return defaultScopes }
        let scopes = try ScopeSet(parsing: requested)
        let refused = scopes.subtracting(allowedScopes)
        guard refused.isEmpty else {
            throw OAuthError(.invalidScope, "scope not allowed for this client: \(refused.joined(separator: " "))")
        }
        return scopes
    }

    /// WSO2's `validity_period`: a lifetime in seconds, positive and at most the application's maximum;
    /// without it, the application's default lifetime.
    public func tokenLifetime(validityPeriod: String?) throws(OAuthError) -> Int {
        guard let validityPeriod else { return defaultTokenValidity }
        guard validityPeriod.utf8.count <= 10, validityPeriod.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int(validityPeriod), seconds > 0
        else {
            throw .invalidRequest("validity_period must be a positive whole number of seconds")
        }
        guard seconds <= maxTokenValidity else {
            throw .invalidRequest("validity_period must not exceed \(maxTokenValidity) seconds for this client")
        }
        return seconds
    }
}
