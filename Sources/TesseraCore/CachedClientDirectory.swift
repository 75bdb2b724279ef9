import Synchronization

/// Tenants and applications from memory, so that a token request does not pay a database round trip for them.
///
/// The cache is only trusted while a change feed is live (`resume()`): the feed calls `invalidate(tenantID:)`
/// for every change, and on losing its connection calls `suspend()`, after which every lookup goes to the
/// source until the feed is back. A fill that raced with an invalidation is dropped (generation check), so a
/// stale row is never cached after the notification that should have removed it.
public final class CachedClientDirectory: ClientDirectory {
    private struct ApplicationKey: Hashable {
        let tenantID: Tenant.ID
        let consumerKey: String
    }

    private struct State {
        var live = false
        var generation: UInt64 = 0
        var tenants: [String: Tenant?] = [:]
        var applications: [ApplicationKey: ClientApplication?] = [:]
        var absentEntries = 0

        mutating func clear() {
            generation &+= 1
            tenants.removeAll(keepingCapacity: true)
            applications.removeAll(keepingCapacity: true)
            absentEntries = 0
        }

        mutating func admitsEntry(absent: Bool) -> Bool {
            guard absent else { return true }
            guard absentEntries < CachedClientDirectory.maximumAbsentEntries else { return false }
            absentEntries += 1
            return true
        }
    }

    /// Cap on remembered "no such tenant/application" answers, so that random keys cannot grow memory.
    public static let maximumAbsentEntries = 10_000

    private let source: any ClientDirectory
    private let state = Mutex(State())

    public init(source: any ClientDirectory) {
        self.source = source
    }

    public func tenant(domain: String) async throws -> Tenant? {
        let (cached, generation) = state.withLock { ($0.live ? $0.tenants[domain] : nil, $0.generation) }
        if let cached { return cached }
        let tenant = try await source.tenant(domain: domain)
        state.withLock { state in
            guard state.live, state.generation == generation, state.admitsEntry(absent: tenant == nil) else { return }
            state.tenants[domain] = .some(tenant)
        }
        return tenant
    }

    public func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication? {
        let key = ApplicationKey(tenantID: tenantID, consumerKey: consumerKey)
        let (cached, generation) = state.withLock { ($0.live ? $0.applications[key] : nil, $0.generation) }
        if let cached { return cached }
        let application = try await source.application(tenantID: tenantID, consumerKey: consumerKey)
        state.withLock { state in
            guard state.live, state.generation == generation, state.admitsEntry(absent: application == nil) else {
                return
            }
            state.applications[key] = .some(application)
        }
        return application
    }

    /// Forgets everything about one tenant, and every remembered absence (a new tenant or key may now exist).
    public func invalidate(tenantID: Tenant.ID) {
        state.withLock { state in
            state.generation &+= 1
            state.tenants = state.tenants.filter { $0.value != nil && $0.value?.id != tenantID }
            state.applications = state.applications.filter { $0.value != nil && $0.key.tenantID != tenantID }
            state.absentEntries = 0
        }
    }

    /// The change feed is connected: start caching, from empty, since changes may have been missed.
    public func resume() {
        state.withLock { state in
            state.clear()
            state.live = true
        }
    }

    /// The change feed is down: stop trusting and filling the cache until `resume()`.
    public func suspend() {
        state.withLock { state in
            state.clear()
            state.live = false
        }
    }
}
