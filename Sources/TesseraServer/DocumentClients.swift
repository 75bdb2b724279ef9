import Foundation
import TesseraCore
import TesseraFetch
import TesseraPostgres

/// Clients known by their Client ID Metadata Document: fetched through the fetcher's limits and cached as HTTP
/// caching allows (`ClientDocumentCache`), checked (`ClientMetadataDocument`), kept as applications of the tenant
/// (`PostgresDocumentClients`). A write tells this server's directory cache at once (the others hear it on the change
/// feed), so that the token request that follows finds the client.
struct DocumentClients: ClientDocumentResolver {
    let cache: ClientDocumentCache
    let store: PostgresDocumentClients
    let directory: CachedClientDirectory

    func client(at url: String, tenant: Tenant) async throws -> ClientApplication {
        let data: Data
        do {
            data = try await cache.document(at: url)
        } catch let error as FetchError {
            throw ClientMetadataDocumentError("its metadata document could not be fetched: \(error)")
        }
        let document = try ClientMetadataDocument(json: data, url: url)
        let (application, changed) = try await store.application(for: document, tenant: tenant)
        if changed { directory.invalidate(tenantID: tenant.id) }
        return application
    }
}
