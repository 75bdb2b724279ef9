import Foundation
import PostgresNIO
import TesseraCore

/// Keeps each client known by a metadata document as an application of its tenant (`metadata_document`), its
/// consumer key the document's URL: written when first seen, rewritten only when the document or the tenant's scopes
/// changed (a rewrite tells every server to forget the tenant's cache).
public struct PostgresDocumentClients: Sendable {
    private let client: any DatabaseClient

    public init(client: any DatabaseClient) {
        self.client = client
    }

    /// The application for `document` in `tenant`, allowed the scopes the tenant opens to such clients, and whether
    /// it was written now (a cache of the tenant's applications must then be told).
    public func application(for document: ClientMetadataDocument, tenant: Tenant) async throws -> (
        ClientApplication, changed: Bool
    ) {
        let url = document.clientID
        let name = document.applicationName
        let scopes = tenant.clientDocuments.scopes.tokens
        let methods = document.authentication.methods.map(\.rawValue).sorted()
        let (jwks, jwksURI) = (document.authentication.keys?.json, document.authentication.keysURL)
        // A secret nobody knows: the column wants one, and the client's methods never read it.
        let unusable = SecretHash.make(for: CredentialGenerator.consumerSecret()).encoded
        return try await PostgresAvailability.run { [client] in
            let written = try await client.committed(
                """
                INSERT INTO applications (tenant_id, consumer_key, secret_hash, name, grant_types, allowed_scopes,
                    default_scopes, default_token_validity, max_token_validity, auth_methods, client_jwks,
                    client_jwks_uri, redirect_uris, metadata_document)
                VALUES (\(tenant.id), \(url), \(unusable), \(name), '{authorization_code,refresh_token}', \(scopes),
                    '{}', \(ApplicationSettings.defaultTokenValidity), \(ApplicationSettings.defaultMaxTokenValidity),
                    \(methods), \(jwks), \(jwksURI), \(document.redirectURIs), true)
                ON CONFLICT (tenant_id, consumer_key) DO UPDATE SET
                    name = EXCLUDED.name, allowed_scopes = EXCLUDED.allowed_scopes, auth_methods = EXCLUDED.auth_methods,
                    client_jwks = EXCLUDED.client_jwks, client_jwks_uri = EXCLUDED.client_jwks_uri,
                    redirect_uris = EXCLUDED.redirect_uris
                WHERE applications.metadata_document
                  AND (applications.name, applications.allowed_scopes, applications.auth_methods, applications.client_jwks,
                       applications.client_jwks_uri, applications.redirect_uris)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.allowed_scopes, EXCLUDED.auth_methods,
                       EXCLUDED.client_jwks, EXCLUDED.client_jwks_uri, EXCLUDED.redirect_uris)
                RETURNING 1
                """)
            let statement = ApplicationByKey(tenantID: tenant.id, consumerKey: url)
            for try await application in try await client.current.execute(statement) {
                guard application.knownByDocument else { break }
                return (application, !written.isEmpty)
            }
            throw ClientMetadataDocumentError("the client could not be recorded")
        }
    }
}
