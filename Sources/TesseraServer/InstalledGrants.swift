import ClientCredentialsGrant
import PasswordGrant
import RefreshTokenGrant
import TesseraCore

/// The grants this server offers. Installing a grant plugin is one line here.
public enum InstalledGrants {
    /// What grants may depend on besides the issuer.
    public struct Dependencies: Sendable {
        public let users: any UserDirectory
        public let ledger: any TokenLedger
        public let passwords: any PasswordHasher
        public let loginThrottle: LoginThrottle

        public init(
            users: any UserDirectory, ledger: any TokenLedger, passwords: any PasswordHasher,
            loginThrottle: LoginThrottle
        ) {
            self.users = users
            self.ledger = ledger
            self.passwords = passwords
            self.loginThrottle = loginThrottle
        }
    }

    public static func registry(issuer: TokenIssuer, dependencies: Dependencies) -> GrantRegistry {
        var registry = GrantRegistry()
        registry.register(ClientCredentialsGrant(issuer: issuer))
        registry.register(
            PasswordGrant(
                issuer: issuer, users: dependencies.users, passwords: dependencies.passwords,
                throttle: dependencies.loginThrottle))
        registry.register(RefreshTokenGrant(issuer: issuer, ledger: dependencies.ledger))
        return registry
    }

    /// The grant types installed, for validating `app create --grant-types`.
    public static let grantTypes: Set<GrantType> = [
        ClientCredentialsGrant.grantType, PasswordGrant.grantType, RefreshTokenGrant.grantType,
    ]
}
