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

/// RFC 8707 resource indicators: which resources a token is for.
extension ClientApplication {
    /// Most `resource` parameters one request may send.
    public static let maximumRequestedResources = 16
    /// Longest resource URI accepted, in bytes.
    public static let maximumResourceLength = 2048

    /// The requested resources, each an absolute URI without a fragment (RFC 8707 §2) and among the application's;
    /// without any, all of the application's (an application registered with one API gets tokens for it without
    /// knowing RFC 8707, as WSO2's clients do). Repeats count once; the order is the request's.
    public func grantedAudience(requested: [String]) throws(OAuthError) -> [String] {
        guard !requested.isEmpty else { return resources }
        return try Self.audience(requested, among: resources, refusal: "resource not allowed for this client")
    }

    /// The requested resources, each an absolute URI without a fragment and one of `allowed` (else `invalid_target`
    /// with `refusal`), at most `maximumRequestedResources` of them; repeats count once, in the request's order. The
    /// rule every grant applies to what it may grant: the application's resources, a tenant's, a code's or a refresh
    /// token's.
    public static func audience(_ requested: [String], among allowed: [String], refusal: String)
        throws(OAuthError) -> [String]
    {
        guard requested.count <= maximumRequestedResources else {
            throw OAuthError(.invalidTarget, "at most \(maximumRequestedResources) resource parameters")
        }
        var granted: [String] = []
        for resource in requested where !granted.contains(resource) {
            guard isResourceIndicator(resource) else {
                throw OAuthError(.invalidTarget, "a resource must be an absolute URI without a fragment")
            }
            guard allowed.contains(resource) else { throw OAuthError(.invalidTarget, refusal) }
            granted.append(resource)
        }
        return granted
    }

    /// An absolute URI (RFC 3986 §4.3: a scheme, then anything but a fragment), printable ASCII without spaces, at
    /// most `maximumResourceLength` bytes.
    public static func isResourceIndicator(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.count <= maximumResourceLength, let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
            colon != bytes.startIndex, bytes.index(after: colon) != bytes.endIndex,
            bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") })
        else { return false }
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        let scheme = bytes[bytes.startIndex..<colon]
        return scheme.enumerated().allSatisfy { index, byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                index > 0
            default: false
            }
        }
    }
}
