/// A tenant: the owner of applications and users, addressed by its domain (`/t/acme.com/`).
public struct Tenant: Sendable, Hashable {
    public typealias ID = Int64
    public let id: ID
    public let domain: String
    public let enabled: Bool
    /// Whether clients known by a Client ID Metadata Document may use the tenant, and for which scopes.
    public let clientDocuments: ClientDocumentPolicy

    public init(id: ID, domain: String, enabled: Bool, clientDocuments: ClientDocumentPolicy = .closed) {
        self.id = id
        self.domain = domain
        self.enabled = enabled
        self.clientDocuments = clientDocuments
    }

    /// Longest domain name (RFC 1035).
    public static let maximumDomainLength = 253

    /// Lower-cases a tenant domain and checks its shape: DNS labels of letters, digits and hyphens.
    /// Returns nil for anything else, so that no odd input reaches a query or a log line unchecked.
    public static func normalizedDomain(_ raw: some StringProtocol) -> String? {
        let domain = raw.lowercased()
        guard !domain.isEmpty, domain.utf8.count <= maximumDomainLength else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                label.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            else { return nil }
        }
        return domain
    }
}

/// A tenant's rule for clients known by a Client ID Metadata Document (their `client_id` is the document's URL): whether
/// they are accepted, and the scopes they may ask a user for.
public struct ClientDocumentPolicy: Sendable, Hashable {
    public let accepted: Bool
    public let scopes: ScopeSet

    public init(accepted: Bool, scopes: ScopeSet) {
        self.accepted = accepted
        self.scopes = scopes
    }

    /// No such client is accepted.
    public static let closed = ClientDocumentPolicy(accepted: false, scopes: ScopeSet([String]()))
}
