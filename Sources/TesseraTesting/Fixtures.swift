import TesseraCore

/// Ready-made tenants and applications for tests.
public enum Fixtures {
    public static func tenant(id: Tenant.ID = 1, domain: String = "acme.com", enabled: Bool = true) -> Tenant {
        Tenant(id: id, domain: domain, enabled: enabled)
    }

    /// An application whose secret is `secret`, hashed as the server would store it.
    public static func application(
        tenantID: Tenant.ID = 1, id: ClientApplication.ID = 1, consumerKey: String = "pBzuIZhGphfQmdcUX0lneFiiuxwa",
        secret: String = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr", name: String = "demo",
        grantTypes: Set<GrantType> = ["client_credentials"], allowedScopes: [String] = ["default", "read", "write"],
        defaultScopes: [String] = ["default"], defaultTokenValidity: Int = 3600, maxTokenValidity: Int = 86400,
        enabled: Bool = true, authentication: ClientAuthentication = .secrets,
        tokenFormat: ClientApplication.TokenFormat = .opaque, resources: [String] = [], redirectURIs: [String] = []
    ) -> ClientApplication {
        ClientApplication(
            tenantID: tenantID, id: id, consumerKey: consumerKey, secretHash: SecretHash.make(for: secret), name: name,
            grantTypes: grantTypes, allowedScopes: ScopeSet(allowedScopes), defaultScopes: ScopeSet(defaultScopes),
            defaultTokenValidity: defaultTokenValidity, maxTokenValidity: maxTokenValidity, enabled: enabled,
            authenticationMethods: authentication.methods, clientKeys: authentication.keys,
            clientKeysURL: authentication.keysURL, tokenFormat: tokenFormat,
            resources: resources, redirectURIs: redirectURIs)
    }
}
