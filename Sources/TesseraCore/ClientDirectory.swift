/// Where the token endpoint finds tenants and applications. The server reads it through a cache.
public protocol ClientDirectory: Sendable {
    /// The tenant with this (normalized) domain, enabled or not; nil when there is none.
    func tenant(domain: String) async throws -> Tenant?
    /// The application of this tenant with this consumer key; nil when there is none.
    func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication?
}
