/// A tenant: the owner of applications and users, addressed by its domain (`/t/acme.com/`).
public struct Tenant: Sendable, Hashable {
    public typealias ID = Int64
    public let id: ID
    public let domain: String
    public let enabled: Bool

    public init(id: ID, domain: String, enabled: Bool) {
        self.id = id
        self.domain = domain
        self.enabled = enabled
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
