import ClientCredentialsGrant
import TesseraCore

/// The grants this server offers. Installing a grant plugin is one line here.
public enum InstalledGrants {
    public static func registry(issuer: TokenIssuer) -> GrantRegistry {
        var registry = GrantRegistry()
        registry.register(ClientCredentialsGrant(issuer: issuer))
        return registry
    }
}
