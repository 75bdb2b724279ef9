import Foundation
import HTTPTypes
import TesseraCore

extension Components.Schemas.ApplicationCreation {
    /// The settings asked for, checked by the same rules as `tessera app create` (`ApplicationSettings`,
    /// `ClientAuthentication`, `TokenAudience`); what is left out takes the CLI's default.
    func settings(supportedGrantTypes: Set<GrantType>) throws -> ApplicationSettings {
        try Self.bounded("grant_types", grantTypes, count: 16, length: 100)
        try Self.bounded("scopes", scopes, count: 200, length: 200)
        try Self.bounded("default_scopes", defaultScopes, count: 200, length: 200)
        try Self.bounded("auth_methods", authMethods, count: 8, length: 40)
        try Self.bounded("resources", resources, count: 100, length: 2000)
        var settings = try ApplicationSettings(
            name: name,
            grantTypes: grantTypes.map { Set($0.map(GrantType.init(rawValue:))) }
                ?? ApplicationSettings.defaultGrantTypes,
            allowedScopes: try Self.scope("scopes", scopes) ?? ApplicationSettings.defaultScope,
            defaultScopes: try Self.scope("default_scopes", defaultScopes) ?? ApplicationSettings.defaultScope,
            defaultTokenValidity: tokenValidity ?? ApplicationSettings.defaultTokenValidity,
            maxTokenValidity: maxTokenValidity ?? ApplicationSettings.defaultMaxTokenValidity,
            refreshTokenValidity: refreshTokenValidity ?? ClientApplication.defaultRefreshTokenValidity,
            introspectAny: introspectAny ?? false,
            tokenReuse: tokenReuse.flatMap { ClientApplication.TokenReuse(rawValue: $0.rawValue) } ?? .never,
            reuseMinRemaining: reuseMinRemaining ?? ClientApplication.defaultReuseMinRemaining,
            supportedGrantTypes: supportedGrantTypes)
        if authMethods != nil || jwks != nil {
            let methods =
                try authMethods.map { try ClientAuthentication.methods(named: $0) }
                ?? ClientAuthenticationMethod.defaults
            settings.authentication = try ClientAuthentication(methods: methods, keys: try keys())
        }
        settings.tokens = try TokenAudience(
            format: tokenFormat.flatMap { ClientApplication.TokenFormat(rawValue: $0.rawValue) } ?? .opaque,
            resources: resources ?? [])
        return settings
    }

    /// The JWK set given, read as `--jwks-file` reads its file.
    private func keys() throws -> ClientKeySet? {
        guard let jwks else { return nil }
        let json = String(decoding: try JSONEncoder().encode(jwks), as: UTF8.self)
        guard json.utf8.count <= ClientKeySet.maximumSize else {
            throw AdminProblem(.badRequest, "jwks is larger than \(ClientKeySet.maximumSize) bytes")
        }
        do {
            return try ClientKeySet(json: json)
        } catch {
            throw AdminProblem(.badRequest, "jwks: \(error)")
        }
    }

    /// A list of scopes as the space-delimited text the CLI takes; an item must be one scope token.
    private static func scope(_ field: String, _ items: [String]?) throws -> String? {
        guard let items else { return nil }
        guard items.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw AdminProblem(.badRequest, "\(field): each item is one scope token, without spaces")
        }
        return items.joined(separator: " ")
    }

    /// At most `count` items of at most `length` bytes: checked before anything else reads them.
    private static func bounded(_ field: String, _ items: [String]?, count: Int, length: Int) throws {
        guard let items else { return }
        guard items.count <= count, items.allSatisfy({ $0.utf8.count <= length }) else {
            throw AdminProblem(.badRequest, "\(field): at most \(count) items of at most \(length) bytes")
        }
    }
}
