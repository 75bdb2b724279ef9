/// Where the token endpoint finds tenants and applications. The server reads it through a cache.
public protocol ClientDirectory: Sendable {
    /// The tenant with this (normalized) domain, enabled or not; nil when there is none.
    func tenant(domain: String) async throws -> Tenant?
    /// The application of this tenant with this consumer key; nil when there is none.
    func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication?
    /// Every tenant's domain, or nil when there are more than `limit` or the directory cannot list them.
    func tenantDomains(limit: Int) async throws -> Set<String>?
    /// Every consumer key of the tenant, or nil when it has more than `limit` or the directory cannot list them.
    func consumerKeys(tenantID: Tenant.ID, limit: Int) async throws -> Set<String>?
}

extension ClientDirectory {
    /// A directory that cannot list answers one name at a time.
    public func tenantDomains(limit: Int) async throws -> Set<String>? { nil }
    public func consumerKeys(tenantID: Tenant.ID, limit: Int) async throws -> Set<String>? { nil }
}
