import Foundation
import Synchronization

/// Each tenant's signing keys from memory: the JWT format and `GET /jwks` read them on every request. Trusted only
/// while the change feed is live, like `CachedClientDirectory`; a fill that raced with an invalidation is dropped.
public final class CachedSigningKeys: SigningKeySource, TenantCache {
    private struct State {
        var live = false
        var generation: UInt64 = 0
        var tenants: [Tenant.ID: TenantSigningKeys] = [:]
    }

    private let source: any SigningKeySource
    private let state = Mutex(State())

    public init(source: any SigningKeySource) {
        self.source = source
    }

    public func keys(of tenantID: Tenant.ID) async throws -> TenantSigningKeys {
        let (cached, generation) = state.withLock { ($0.live ? $0.tenants[tenantID] : nil, $0.generation) }
        if let cached { return cached }
        return remember(try await source.keys(of: tenantID), generation: generation)
    }

    public func makeFirstKey(of tenantID: Tenant.ID, at now: Date) async throws -> TenantSigningKeys {
        let generation = state.withLock { $0.generation }
        return remember(try await source.makeFirstKey(of: tenantID, at: now), generation: generation)
    }

    private func remember(_ keys: TenantSigningKeys, generation: UInt64) -> TenantSigningKeys {
        state.withLock { state in
            guard state.live, state.generation == generation else { return }
            state.tenants[keys.tenantID] = keys
        }
        return keys
    }

    public func invalidate(tenantID: Tenant.ID) {
        state.withLock { state in
            state.generation &+= 1
            state.tenants[tenantID] = nil
        }
    }

    public func resume() {
        state.withLock { state in
            state.generation &+= 1
            state.tenants.removeAll()
            state.live = true
        }
    }

    public func suspend() {
        state.withLock { state in
            state.generation &+= 1
            state.tenants.removeAll()
            state.live = false
        }
    }
}
