import Foundation
import PostgresNIO
import TesseraCore

/// A tenant's rule for clients known by a Client ID Metadata Document, as the CLI and the admin API show it.
public struct ClientDocumentSettings: Sendable, Encodable, Equatable {
    public let accepted: Bool
    public let scopes: [String]

    public init(_ policy: ClientDocumentPolicy) {
        accepted = policy.accepted
        scopes = policy.scopes.tokens
    }
}

extension DirectoryAdministration {
    /// Whether the tenant accepts clients known by a metadata document, and the scopes they may ask for.
    public func clientDocuments(tenant rawDomain: String) async throws -> ClientDocumentSettings {
        let tenantID = try await tenantID(rawDomain)
        let rows = try await client.current.query(
            "SELECT client_documents, client_document_scopes FROM tenants WHERE tenant_id = \(tenantID)",
            logger: logger
        ).collect()
        guard let row = rows.first else { throw AdministrationError("no tenant \(rawDomain)", kind: .notFound) }
        let (accepted, scopes) = try row.decode((Bool, [String]).self)
        return ClientDocumentSettings(ClientDocumentPolicy(accepted: accepted, scopes: ScopeSet(scopes)))
    }

    /// Accepts or refuses such clients (`accepted`), and sets the scopes they may ask for (`scopes`, space-separated;
    /// nil keeps them). `tessera:` scopes are the administrators' and never open to them.
    public func setClientDocuments(tenant rawDomain: String, accepted: Bool?, scopes: String?) async throws
        -> ClientDocumentSettings
    {
        let parsed = try scopes.map { text throws(AdministrationError) -> ScopeSet in
            // Empty: no scope at all.
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return ScopeSet([String]()) }
            guard let scopes = try? ScopeSet(parsing: text) else {
                throw AdministrationError("scopes must be space-separated tokens of printable ASCII")
            }
            if scopes.tokens.contains(where: { $0.hasPrefix(OpenRegistration.reservedScopePrefix) }) {
                throw AdministrationError(
                    "scopes beginning with \(OpenRegistration.reservedScopePrefix) cannot be opened")
            }
            guard scopes.tokens.count <= 100 else { throw AdministrationError("at most 100 scopes") }
            return scopes
        }
        let tenantID = try await tenantID(rawDomain)
        let logger = logger
        let target = [accepted.map { $0 ? "accepted" : "refused" }, parsed.map { "scopes \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
        _ = try await audit.record("tenant.client-documents", tenantID: tenantID, target: target) { connection in
            try await connection.query(
                """
                UPDATE tenants SET client_documents = COALESCE(\(accepted), client_documents),
                    client_document_scopes = COALESCE(\(parsed?.tokens), client_document_scopes)
                WHERE tenant_id = \(tenantID)
                """, logger: logger)
        }
        return try await clientDocuments(tenant: rawDomain)
    }
}
