import Synchronization
import TesseraCore

/// Tenants and applications held in memory: for unit tests of the core, HTTP tests, and grant plugin authors.
public final class InMemoryClientDirectory: ClientDirectory {
    private struct Contents {
        var tenants: [String: Tenant] = [:]
        var applications: [String: ClientApplication] = [:]
        var lookups = 0
    }

    private let contents = Mutex(Contents())

    public init() {}

    public func tenant(domain: String) async throws -> Tenant? {
        contents.withLock {
            $0.lookups += 1
            return $0.tenants[domain]
        }
    }

    public func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication? {
        contents.withLock {
            $0.lookups += 1
            return $0.applications["\(tenantID)/\(consumerKey)"]
        }
    }

    public func tenantDomains(limit: Int) async throws -> Set<String>? {
        contents.withLock {
            $0.lookups += 1
            return $0.tenants.count > limit ? nil : Set($0.tenants.keys)
        }
    }

    public func consumerKeys(tenantID: Tenant.ID, limit: Int) async throws -> Set<String>? {
        contents.withLock {
            $0.lookups += 1
            let keys = $0.applications.values.filter { $0.tenantID == tenantID }.map(\.consumerKey)
            return keys.count > limit ? nil : Set(keys)
        }
    }

    /// Adds or replaces a tenant.
    public func put(_ tenant: Tenant) {
        contents.withLock { $0.tenants[tenant.domain] = tenant }
    }

    /// Adds or replaces an application.
    public func put(_ application: ClientApplication) {
        contents.withLock { $0.applications["\(application.tenantID)/\(application.consumerKey)"] = application }
    }

    /// How many lookups reached this directory (to see what a cache in front of it saved).
    public var lookups: Int { contents.withLock { $0.lookups } }
}
