import Foundation
import HTTPTypes
import TesseraCore

extension Components.Schemas.ApplicationCreation {
    /// The settings asked for, checked by the same rules as `tessera app create` (`ApplicationSettings`,
    /// `ClientAuthentication`, `TokenAudience`); what is left out takes the CLI's default.
    func settings(supportedGrantTypes: Set<GrantType>) throws -> ApplicationSettings {
        try AdminInput.bounded("grant_types", grantTypes, count: 16, length: 100)
        var settings = try ApplicationSettings(
            name: name,
            grantTypes: grantTypes.map { Set($0.map(GrantType.init(rawValue:))) }
                ?? ApplicationSettings.defaultGrantTypes,
            allowedScopes: try AdminInput.scopeText("scopes", scopes) ?? ApplicationSettings.defaultScope,
            defaultScopes: try AdminInput.scopeText("default_scopes", defaultScopes)
                ?? ApplicationSettings.defaultScope,
            defaultTokenValidity: tokenValidity ?? ApplicationSettings.defaultTokenValidity,
            maxTokenValidity: maxTokenValidity ?? ApplicationSettings.defaultMaxTokenValidity,
            refreshTokenValidity: refreshTokenValidity ?? ClientApplication.defaultRefreshTokenValidity,
            introspectAny: introspectAny ?? false,
            tokenReuse: tokenReuse.flatMap { ClientApplication.TokenReuse(rawValue: $0.rawValue) } ?? .never,
            reuseMinRemaining: reuseMinRemaining ?? ClientApplication.defaultReuseMinRemaining,
            supportedGrantTypes: supportedGrantTypes)
        if authMethods != nil || jwks != nil || jwksUri != nil {
            settings.authentication = try ClientAuthentication.chosen(
                methods: try AdminInput.methods(authMethods), given: try AdminInput.keys(jwks), givenURL: jwksUri,
                stored: nil)
        }
        settings.tokens = try TokenAudience(
            format: tokenFormat.flatMap { ClientApplication.TokenFormat(rawValue: $0.rawValue) } ?? .opaque,
            resources: try AdminInput.resources(resources) ?? [])
        settings.redirectURIs = try ApplicationSettings.redirectURIs(redirectUris ?? [])
        return settings
    }
}
