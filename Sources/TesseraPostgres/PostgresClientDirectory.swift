import Foundation
import PostgresNIO
import TesseraCore

/// Tenants and applications read from PostgreSQL with prepared statements. The server wraps it in a
/// `CachedClientDirectory`.
public struct PostgresClientDirectory: ClientDirectory {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    public func tenant(domain: String) async throws -> Tenant? {
        let statement = TenantByDomain(domain: domain)
        return try await PostgresAvailability.run { [client] in
            for try await tenant in try await client.current.execute(statement) { return tenant }
            return nil
        }
    }

    public func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication? {
        let statement = ApplicationByKey(tenantID: tenantID, consumerKey: consumerKey)
        return try await PostgresAvailability.run { [client] in
            for try await application in try await client.current.execute(statement) { return application }
            return nil
        }
    }

    public func tenantDomains(limit: Int) async throws -> Set<String>? {
        try await list("SELECT domain FROM tenants LIMIT \(limit + 1)", limit: limit)
    }

    public func consumerKeys(tenantID: Tenant.ID, limit: Int) async throws -> Set<String>? {
        try await list(
            "SELECT consumer_key FROM applications WHERE tenant_id = \(tenantID) LIMIT \(limit + 1)", limit: limit)
    }

    /// The one text column of `query`'s rows, or nil when there are more than `limit`.
    private func list(_ query: PostgresQuery, limit: Int) async throws -> Set<String>? {
        try await PostgresAvailability.run { [client] in
            var values = Set<String>()
            for try await value in try await client.current.query(query).decode(String.self) {
                values.insert(value)
                if values.count > limit { return nil }
            }
            return values
        }
    }
}

struct TenantByDomain: PostgresPreparedStatement {
    static let name = "tessera.TenantByDomain"
    static let sql = """
        SELECT tenant_id, domain, enabled, client_documents, client_document_scopes FROM tenants WHERE domain = $1
        """
    typealias Row = Tenant
    let domain: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(domain)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Tenant {
        let (id, domain, enabled, documents, scopes) = try row.decode((Int64, String, Bool, Bool, [String]).self)
        return Tenant(
            id: id, domain: domain, enabled: enabled,
            clientDocuments: ClientDocumentPolicy(accepted: documents, scopes: ScopeSet(scopes)))
    }
}

struct ApplicationByKey: PostgresPreparedStatement {
    static let name = "tessera.ApplicationByKey"
    static let sql = """
        SELECT tenant_id, application_id, consumer_key, secret_hash, name, grant_types, allowed_scopes,
               default_scopes, default_token_validity, max_token_validity, enabled, refresh_token_validity,
               introspect_any, token_reuse, reuse_min_remaining, previous_secret_hash, previous_secret_expires_at,
               auth_methods, client_jwks, token_format, resources, client_jwks_uri, redirect_uris, metadata_document
        FROM applications WHERE tenant_id = $1 AND consumer_key = $2
        """
    typealias Row = ClientApplication
    let tenantID: Tenant.ID
    let consumerKey: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(tenantID)
        bindings.append(consumerKey)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ClientApplication {
        try ClientApplication(row: row)
    }
}

/// Why a stored row cannot be used; a sign that someone edited the table by hand.
struct CorruptRowError: Error, CustomStringConvertible {
    let description: String
}

extension ClientApplication {
    /// Decodes the columns of `ApplicationByKey.sql`, in that order.
    init(row: PostgresRow) throws {
        let (
            tenantID, id, key, secretHash, name, grantTypes, allowed, defaults, validity, maxValidity, enabled,
            refreshValidity, introspectAny, reuse, reuseMinRemaining, previousHash, previousExpiry, methods, jwks,
            format, resources, jwksURI, redirectURIs, metadataDocument
        ) = try row.decode(
            (
                Int64, Int64, String, String, String, [String], [String], [String], Int, Int, Bool, Int, Bool, String,
                Int, String?, Date?, [String], String?, String, [String], String?, [String], Bool
            ).self)
        guard let hash = SecretHash(encoded: secretHash) else {
            throw CorruptRowError(description: "application \(id) of tenant \(tenantID) has an unreadable secret hash")
        }
        var previous: PreviousSecret?
        if let previousHash, let previousExpiry {
            guard let hash = SecretHash(encoded: previousHash) else {
                throw CorruptRowError(
                    description: "application \(id) of tenant \(tenantID) has an unreadable previous secret hash")
            }
            previous = PreviousSecret(hash: hash, expiresAt: previousExpiry)
        }
        let keys: ClientKeySet?
        do {
            keys = try jwks.map { json throws(ClientKeySetError) in try ClientKeySet(json: json) }
        } catch {
            throw CorruptRowError(
                description: "application \(id) of tenant \(tenantID) has an unusable JWK set: \(error)")
        }
        self.init(
            tenantID: tenantID, id: id, consumerKey: key, secretHash: hash, name: name,
            grantTypes: Set(grantTypes.map(GrantType.init(rawValue:))), allowedScopes: ScopeSet(allowed),
            defaultScopes: ScopeSet(defaults), defaultTokenValidity: validity, maxTokenValidity: maxValidity,
            enabled: enabled, refreshTokenValidity: refreshValidity, introspectAny: introspectAny,
            tokenReuse: TokenReuse(rawValue: reuse) ?? .never, reuseMinRemaining: reuseMinRemaining,
            previousSecret: previous,
            authenticationMethods: Set(methods.compactMap(ClientAuthenticationMethod.init(rawValue:))),
            clientKeys: keys, clientKeysURL: jwksURI, tokenFormat: TokenFormat(rawValue: format) ?? .opaque,
            resources: resources, redirectURIs: redirectURIs, knownByDocument: metadataDocument)
    }
}
