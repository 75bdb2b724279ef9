import AuthorizationCodeGrant
import ClientCredentialsGrant
import PasswordGrant
import RefreshTokenGrant
import TesseraCore

/// The grants this server offers. Installing a grant plugin is its target in `Package.swift` and one line in
/// `all`; what it needs comes from the server's `ServerParts`.
public enum InstalledGrants {
    public static let all: [any InstallableGrant.Type] = [
        ClientCredentialsGrant.self,
        PasswordGrant.self,
        RefreshTokenGrant.self,
        AuthorizationCodeGrant.self,
    ]

    /// The grant types installed, for validating `app create --grant-types` without building the grants.
    public static var grantTypes: Set<GrantType> { Set(all.map { $0.grantType }) }

    /// Every installed grant, built from `parts`; throws when one needs a part that is not there.
    public static func registry(parts: ServerParts) throws -> GrantRegistry {
        var registry = GrantRegistry()
        try registry.install(all, from: parts)
        return registry
    }
}
