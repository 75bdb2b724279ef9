/// Something kept in memory per tenant that the directory change feed keeps honest: the client directory and the
/// signing keys.
public protocol TenantCache: Sendable {
    /// Forget what is held about `tenantID`: it changed.
    func invalidate(tenantID: Tenant.ID)
    /// The feed is connected: cache again, from empty, since changes may have been missed.
    func resume()
    /// The feed is down: stop trusting and filling the cache until `resume()`.
    func suspend()
}

extension CachedClientDirectory: TenantCache {}
