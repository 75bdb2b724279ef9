import Foundation

/// What an operator chooses for a new application, checked before anything is written.
public struct ApplicationSettings: Sendable, Equatable {
    public var name: String
    public var grantTypes: Set<GrantType>
    public var allowedScopes: ScopeSet
    public var defaultScopes: ScopeSet
    public var defaultTokenValidity: Int
    public var maxTokenValidity: Int
    public var refreshTokenValidity: Int
    public var introspectAny: Bool
    public var tokenReuse: ClientApplication.TokenReuse
    public var reuseMinRemaining: Int
    /// How its client authenticates; the two secret methods unless set.
    public var authentication = ClientAuthentication.secrets
    /// How its access tokens are written and what they may be for; opaque and none unless set.
    public var tokens = TokenAudience.opaque
    /// Where the authorization endpoint may send the browser back; none unless set (`redirectURIs(_:)` checks them).
    public var redirectURIs: [String] = []

    public static let defaultGrantTypes: Set<GrantType> = ["client_credentials"]
    public static let defaultScope = "default"
    public static let defaultTokenValidity = 3600
    public static let defaultMaxTokenValidity = 86400
    public static let maximumNameLength = 200
    /// Ten years: the ceiling for any configured lifetime, so arithmetic on dates never overflows.
    public static let maximumValidity = 315_360_000

    /// Validates and builds settings; every message names the offending value and fits on one line.
    public init(
        name: String,
        grantTypes: Set<GrantType> = defaultGrantTypes,
        allowedScopes: String = defaultScope,
        defaultScopes: String = defaultScope,
        defaultTokenValidity: Int = defaultTokenValidity,
        maxTokenValidity: Int = defaultMaxTokenValidity,
        refreshTokenValidity: Int = ClientApplication.defaultRefreshTokenValidity,
        introspectAny: Bool = false,
        tokenReuse: ClientApplication.TokenReuse = .never,
        reuseMinRemaining: Int = ClientApplication.defaultReuseMinRemaining,
        supportedGrantTypes: Set<GrantType>
    ) throws(ApplicationSettingsError) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= Self.maximumNameLength,
            trimmed.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control })
        else {
            throw .init("the application name must be 1 to \(Self.maximumNameLength) printable characters")
        }
        guard !grantTypes.isEmpty else { throw .init("at least one grant type is required") }
        let unknown = grantTypes.subtracting(supportedGrantTypes).map(\.rawValue).sorted()
        guard unknown.isEmpty else {
            let known = supportedGrantTypes.map(\.rawValue).sorted().joined(separator: ", ")
            throw .init("unknown grant type \(unknown.joined(separator: ", ")) (supported: \(known))")
        }
        let (allowed, defaults) = try Self.scopes(allowed: allowedScopes, defaults: defaultScopes)
        guard (1...Self.maximumValidity).contains(defaultTokenValidity) else {
            throw .init("the token validity must be between 1 and \(Self.maximumValidity) seconds")
        }
        guard (defaultTokenValidity...Self.maximumValidity).contains(maxTokenValidity) else {
            throw .init(
                "the max token validity must be between the token validity (\(defaultTokenValidity)) and \(Self.maximumValidity) seconds"
            )
        }
        guard (1...Self.maximumValidity).contains(refreshTokenValidity) else {
            throw .init("the refresh token validity must be between 1 and \(Self.maximumValidity) seconds")
        }
        guard (0...Self.maximumValidity).contains(reuseMinRemaining) else {
            throw .init("the reuse minimum remaining must be between 0 and \(Self.maximumValidity) seconds")
        }
        self.name = trimmed
        self.grantTypes = grantTypes
        self.allowedScopes = allowed
        self.defaultScopes = defaults
        self.defaultTokenValidity = defaultTokenValidity
        self.maxTokenValidity = maxTokenValidity
        self.refreshTokenValidity = refreshTokenValidity
        self.introspectAny = introspectAny
        self.tokenReuse = tokenReuse
        self.reuseMinRemaining = reuseMinRemaining
    }
}

extension ApplicationSettings {
    /// The grant that sends a browser to a redirect URI.
    public static let authorizationCodeGrantType: GrantType = "authorization_code"

    /// Redirect URIs as a client may register them (`RedirectURI.isRegistrable`): at most `RedirectURI.maximumCount`,
    /// each once.
    public static func redirectURIs(_ uris: [String]) throws(ApplicationSettingsError) -> [String] {
        guard uris.count <= RedirectURI.maximumCount else {
            throw .init("at most \(RedirectURI.maximumCount) redirect URIs")
        }
        for uri in uris where !RedirectURI.isRegistrable(uri) {
            throw .init(
                "\"\(uri.prefix(80))\" is not a redirect URI: an absolute https URI (http only on 127.0.0.1, [::1] or localhost) without a fragment, credentials or wildcard"
            )
        }
        return uris.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The rules between settings, checked before an application is written: a public client proves nothing, so it
    /// may not use client credentials (RFC 6749 §4.4: confidential clients only); the authorization code grant needs
    /// somewhere to send the browser back.
    public func checkCoherence() throws(ApplicationSettingsError) {
        if authentication.isPublic, grantTypes.contains("client_credentials") {
            throw .init("a public client cannot use client_credentials, which is for confidential clients only")
        }
        if grantTypes.contains(Self.authorizationCodeGrantType), redirectURIs.isEmpty {
            throw .init("the authorization_code grant needs at least one redirect URI (--redirect-uris)")
        }
    }

    /// An application's scopes, checked: what it may request, and what a request without `scope` gets, which must be
    /// among them. For `app create` and `app set-scopes`.
    public static func scopes(allowed: String, defaults: String) throws(ApplicationSettingsError) -> (
        allowed: ScopeSet, defaults: ScopeSet
    ) {
        let allowedSet: ScopeSet
        let defaultSet: ScopeSet
        do {
            allowedSet = try ScopeSet(parsing: allowed)
            defaultSet = try ScopeSet(parsing: defaults)
        } catch {
            throw .init("scopes must be space-separated tokens of printable ASCII without quotes or backslashes")
        }
        if let refusal = outsideAllowed(defaultSet, allowedSet) { throw refusal }
        return (allowedSet, defaultSet)
    }

    /// Why `defaults` cannot be an application's default scopes under `allowed`, or nil when they can.
    public static func outsideAllowed(_ defaults: ScopeSet, _ allowed: ScopeSet) -> ApplicationSettingsError? {
        let outside = defaults.subtracting(allowed)
        guard !outside.isEmpty else { return nil }
        return .init(
            "default scope \(outside.joined(separator: " ")) is not among the allowed scopes (set the default scopes too)"
        )
    }
}

/// Why application settings were refused, in one line for the operator.
public struct ApplicationSettingsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
