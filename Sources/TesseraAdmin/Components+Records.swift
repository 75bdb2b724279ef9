import TesseraCore
import TesseraPostgres

// The API's types built from the records the operations return: the same fields `tessera ... --json` prints.

extension Components.Schemas.Tenant {
    init(_ record: TenantRecord) {
        self.init(
            domain: record.domain, enabled: record.enabled, createdAt: record.createdAt,
            applications: record.applications)
    }
}

extension Components.Schemas.Application {
    init(_ record: ApplicationRecord) {
        self.init(
            tenant: record.tenant, name: record.name, consumerKey: record.consumerKey, grantTypes: record.grantTypes,
            scopes: record.scopes, defaultScopes: record.defaultScopes, tokenValidity: record.tokenValidity,
            maxTokenValidity: record.maxTokenValidity, refreshTokenValidity: record.refreshTokenValidity,
            introspectAny: record.introspectAny, tokenReuse: .init(rawValue: record.tokenReuse) ?? .never,
            reuseMinRemaining: record.reuseMinRemaining, enabled: record.enabled, createdAt: record.createdAt,
            authMethods: record.authMethods, keyIds: record.keyIDs, jwksUri: record.jwksURI,
            tokenFormat: .init(rawValue: record.tokenFormat) ?? .opaque, resources: record.resources,
            redirectUris: record.redirectURIs)
    }
}

extension Components.Schemas.OpenRegistration {
    init(_ policy: TesseraPostgres.OpenRegistration?) {
        self.init(open: policy != nil, scopes: policy?.scopes.description, perHour: policy?.perHour)
    }
}

extension Components.Schemas.Resource {
    init(_ resource: TenantResource) {
        self.init(uri: resource.uri, name: resource.name, createdAt: resource.createdAt)
    }
}

extension Components.Schemas.Consent {
    init(_ consent: ConsentRecord) {
        self.init(
            clientId: consent.clientID, clientName: consent.clientName, scopes: consent.scopes,
            resources: consent.resources, grantedAt: consent.grantedAt)
    }
}
