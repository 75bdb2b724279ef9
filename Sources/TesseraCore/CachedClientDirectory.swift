import Synchronization

/// Tenants and applications from memory, so that a token request does not pay a database round trip for them.
///
/// The cache is only trusted while a change feed is live (`resume()`): the feed calls `invalidate(tenantID:)`
/// for every change, and on losing its connection calls `suspend()`, after which every lookup goes to the
/// source until the feed is back. A fill that raced with an invalidation is dropped (generation check), so a
/// stale row is never cached after the notification that should have removed it.
///
/// Names that do not exist cost a query each only until the first one: then the cache lists every tenant domain
/// (or every consumer key of the tenant) once and answers "none" from memory, so a flood of random keys or tenant
/// names does not reach the database at the attacker's rate. A change to a tenant drops its list (and the list of
/// domains), which the next unknown name loads again. Lists are bounded in size; a directory larger than that is
/// asked one name at a time, with the bounded memory of absences as before.
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
        /// Every tenant domain, once one unknown domain was asked for.
        var domains: Set<String>?
        /// Per tenant, every consumer key, once one unknown key of that tenant was asked for.
        var consumerKeys: [Tenant.ID: Set<String>] = [:]
        var listedKeys = 0

        mutating func clear() {
            generation &+= 1
            tenants.removeAll(keepingCapacity: true)
            applications.removeAll(keepingCapacity: true)
            absentEntries = 0
            domains = nil
            consumerKeys.removeAll()
            listedKeys = 0
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
    /// Cap on the domains listed, and on the consumer keys listed for all tenants together: about 20 MB each.
    public static let maximumListedNames = 250_000

    private let source: any ClientDirectory
    private let state = Mutex(State())

    public init(source: any ClientDirectory) {
        self.source = source
    }

    public func tenant(domain: String) async throws -> Tenant? {
        let (live, cached, listed, generation) = state.withLock {
            ($0.live, $0.live ? $0.tenants[domain] : nil, $0.live ? $0.domains : nil, $0.generation)
        }
        if let cached { return cached }
        if let listed, !listed.contains(domain) { return nil }
        let tenant = try await source.tenant(domain: domain)
        state.withLock { state in
            guard state.live, state.generation == generation, state.admitsEntry(absent: tenant == nil) else { return }
            state.tenants[domain] = .some(tenant)
        }
        if live, tenant == nil, listed == nil { try await listDomains(generation: generation) }
        return tenant
    }

    public func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication? {
        let key = ApplicationKey(tenantID: tenantID, consumerKey: consumerKey)
        let (live, cached, listed, generation) = state.withLock {
            ($0.live, $0.live ? $0.applications[key] : nil, $0.live ? $0.consumerKeys[tenantID] : nil, $0.generation)
        }
        if let cached { return cached }
        if let listed, !listed.contains(consumerKey) { return nil }
        let application = try await source.application(tenantID: tenantID, consumerKey: consumerKey)
        state.withLock { state in
            guard state.live, state.generation == generation, state.admitsEntry(absent: application == nil) else {
                return
            }
            state.applications[key] = .some(application)
        }
        if live, application == nil, listed == nil {
            try await listConsumerKeys(tenantID: tenantID, generation: generation)
        }
        return application
    }

    /// After a first unknown domain: every domain, so that the next unknown ones need no query.
    private func listDomains(generation: UInt64) async throws {
        guard let domains = try await source.tenantDomains(limit: Self.maximumListedNames) else { return }
        state.withLock { state in
            guard state.live, state.generation == generation else { return }
            state.domains = domains
        }
    }

    /// After a first unknown key of the tenant: its keys, so that the next unknown ones need no query.
    private func listConsumerKeys(tenantID: Tenant.ID, generation: UInt64) async throws {
        let room = state.withLock { Self.maximumListedNames - $0.listedKeys }
        guard room > 0, let keys = try await source.consumerKeys(tenantID: tenantID, limit: room) else { return }
        state.withLock { state in
            guard state.live, state.generation == generation, state.consumerKeys[tenantID] == nil,
                state.listedKeys + keys.count <= Self.maximumListedNames
            else { return }
            state.consumerKeys[tenantID] = keys
            state.listedKeys += keys.count
        }
    }

    /// Forgets everything about one tenant, and every remembered absence (a new tenant or key may now exist).
    public func invalidate(tenantID: Tenant.ID) {
        state.withLock { state in
            state.generation &+= 1
            state.tenants = state.tenants.filter { $0.value != nil && $0.value?.id != tenantID }
            state.applications = state.applications.filter { $0.value != nil && $0.key.tenantID != tenantID }
            state.absentEntries = 0
            // The change may be a new tenant (its id is the notification's) or a new key of this one.
            state.domains = nil
            state.listedKeys -= state.consumerKeys.removeValue(forKey: tenantID)?.count ?? 0
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
