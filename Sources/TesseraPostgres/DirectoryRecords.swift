import Foundation
import PostgresNIO
import TesseraCore

/// A tenant as the CLI shows it.
public struct TenantRecord: Sendable, Encodable {
    public let domain: String
    public let enabled: Bool
    public let createdAt: Date
    public let applications: Int

    enum CodingKeys: String, CodingKey {
        case domain, enabled, applications
        case createdAt = "created_at"
    }
}

/// An application as the CLI shows it: everything but its secret hash.
public struct ApplicationRecord: Sendable, Encodable {
    public let tenant: String
    public let name: String
    public let consumerKey: String
    public let grantTypes: [String]
    public let scopes: [String]
    public let defaultScopes: [String]
    public let tokenValidity: Int
    public let maxTokenValidity: Int
    public let refreshTokenValidity: Int
    public let introspectAny: Bool
    public let tokenReuse: String
    public let reuseMinRemaining: Int
    public let enabled: Bool
    public let createdAt: Date
    public let authMethods: [String]
    /// The `kid`s of the registered public keys (an empty string for a key without one); empty without keys.
    public let keyIDs: [String]
    /// Where the client publishes its keys instead (`jwks_uri`); nil when it does not.
    public let jwksURI: String?
    public let tokenFormat: String
    public let resources: [String]
    /// Where the authorization endpoint may send the browser back.
    public let redirectURIs: [String]

    static let columns = """
        name, consumer_key, grant_types, allowed_scopes, default_scopes, default_token_validity,
        max_token_validity, refresh_token_validity, introspect_any, token_reuse, reuse_min_remaining, enabled,
        created_at, auth_methods, client_jwks, token_format, resources, client_jwks_uri, redirect_uris
        """

    init(row: PostgresRow, tenant: String) throws {
        let jwks: String?
        (
            name, consumerKey, grantTypes, scopes, defaultScopes, tokenValidity, maxTokenValidity,
            refreshTokenValidity, introspectAny, tokenReuse, reuseMinRemaining, enabled, createdAt, authMethods, jwks,
            tokenFormat, resources, jwksURI, redirectURIs
        ) = try row.decode(
            (
                String, String, [String], [String], [String], Int, Int, Int, Bool, String, Int, Bool, Date, [String],
                String?, String, [String], String?, [String]
            ).self)
        self.keyIDs = (try? jwks.map { json throws(ClientKeySetError) in try ClientKeySet(json: json) })??.keyIDs ?? []
        self.tenant = tenant
    }

    enum CodingKeys: String, CodingKey {
        case tenant, name, scopes, enabled
        case consumerKey = "consumer_key"
        case grantTypes = "grant_types"
        case defaultScopes = "default_scopes"
        case tokenValidity = "token_validity"
        case maxTokenValidity = "max_token_validity"
        case refreshTokenValidity = "refresh_token_validity"
        case introspectAny = "introspect_any"
        case tokenReuse = "token_reuse"
        case reuseMinRemaining = "reuse_min_remaining"
        case createdAt = "created_at"
        case authMethods = "auth_methods"
        case keyIDs = "key_ids"
        case jwksURI = "jwks_uri"
        case tokenFormat = "token_format"
        case resources
        case redirectURIs = "redirect_uris"
    }
}

/// A new secret, shown once, and until when the one it replaced stays valid (nil: it stopped at once).
public struct SecretRotation: Sendable {
    public let secret: String
    public let previousExpiresAt: Date?
}

/// One valid secret of an application, as `app secrets` lists it: which one and its dates, never the secret.
public struct SecretRecord: Sendable, Encodable, Equatable {
    public enum Secret: String, Sendable, Encodable {
        case current
        case previous
    }

    public let secret: Secret
    /// When the current secret was made (by `app create` or the last rotation).
    public let createdAt: Date?
    /// When the previous secret stops being accepted.
    public let expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case secret
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }
}
