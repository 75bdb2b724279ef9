import Synchronization
import TesseraTesting
import Testing

@testable import TesseraCore

@Suite("Directory cache")
struct CachedClientDirectoryTests {
    let source = InMemoryClientDirectory()

    init() {
        source.put(Fixtures.tenant())
        source.put(Fixtures.application())
    }

    @Test("while the change feed is down, every lookup reads the source")
    func suspendedReadsThrough() async throws {
        let cache = CachedClientDirectory(source: source)
        _ = try await cache.tenant(domain: "acme.com")
        _ = try await cache.tenant(domain: "acme.com")
        #expect(source.lookups == 2)
    }

    @Test("while live, tenants, applications and absences come from memory")
    func liveCaches() async throws {
        let cache = CachedClientDirectory(source: source)
        cache.resume()
        for _ in 0..<3 {
            #expect(try await cache.tenant(domain: "acme.com")?.id == 1)
            #expect(try await cache.application(tenantID: 1, consumerKey: Fixtures.application().consumerKey) != nil)
            #expect(try await cache.tenant(domain: "nobody.com") == nil)
        }
        // The tenant, the application, the unknown domain and the list of domains it made the cache load.
        #expect(source.lookups == 4)
    }

    @Test("after one unknown consumer key the tenant's keys are listed, and random keys cost no lookup")
    func unknownKeysAnsweredFromTheList() async throws {
        let cache = CachedClientDirectory(source: source)
        cache.resume()
        #expect(try await cache.application(tenantID: 1, consumerKey: "random-0") == nil)
        #expect(source.lookups == 2)
        for index in 1..<1000 {
            #expect(try await cache.application(tenantID: 1, consumerKey: "random-\(index)") == nil)
            #expect(try await cache.tenant(domain: "random-\(index).com") == nil)
        }
        // The first unknown domain and its list; then nothing.
        #expect(source.lookups == 4)
        #expect(try await cache.application(tenantID: 1, consumerKey: Fixtures.application().consumerKey) != nil)
        // A key made later is found once its change reaches the cache, which drops the list.
        source.put(Fixtures.application(id: 2, consumerKey: "made-later"))
        #expect(try await cache.application(tenantID: 1, consumerKey: "made-later") == nil)
        cache.invalidate(tenantID: 1)
        #expect(try await cache.application(tenantID: 1, consumerKey: "made-later") != nil)
        // Other tenants' lists are kept.
        source.put(Fixtures.tenant(id: 9, domain: "other.com"))
        cache.invalidate(tenantID: 9)
        #expect(try await cache.tenant(domain: "other.com")?.id == 9)
    }

    @Test("an invalidated tenant is read again, with its change")
    func invalidation() async throws {
        let cache = CachedClientDirectory(source: source)
        cache.resume()
        let key = Fixtures.application().consumerKey
        #expect(try await cache.application(tenantID: 1, consumerKey: key)?.enabled == true)
        source.put(Fixtures.application(enabled: false))
        #expect(try await cache.application(tenantID: 1, consumerKey: key)?.enabled == true)
        cache.invalidate(tenantID: 1)
        #expect(try await cache.application(tenantID: 1, consumerKey: key)?.enabled == false)
    }

    @Test("a remembered absence is forgotten on any change, so a new tenant shows up")
    func absenceForgotten() async throws {
        let cache = CachedClientDirectory(source: source)
        cache.resume()
        #expect(try await cache.tenant(domain: "new.com") == nil)
        source.put(Fixtures.tenant(id: 7, domain: "new.com"))
        cache.invalidate(tenantID: 7)
        #expect(try await cache.tenant(domain: "new.com")?.id == 7)
    }

    @Test("a lookup that raced with an invalidation does not cache its stale answer")
    func raceDropsFill() async throws {
        let gated = GatedDirectory(source: source)
        let cache = CachedClientDirectory(source: gated)
        cache.resume()
        async let first = cache.tenant(domain: "acme.com")
        await gated.waitUntilBlocked()
        cache.invalidate(tenantID: 1)
        gated.open()
        #expect(try await first?.id == 1)
        _ = try await cache.tenant(domain: "acme.com")
        #expect(gated.calls == 2)
    }
}

/// A directory whose first lookup waits until the test opens the gate.
final class GatedDirectory: ClientDirectory {
    private struct State {
        var calls = 0
        var blocked: CheckedContinuation<Void, Never>?
        var isOpen = false
    }

    private let source: any ClientDirectory
    private let state = Mutex(State())

    init(source: any ClientDirectory) { self.source = source }

    var calls: Int { state.withLock { $0.calls } }

    func tenant(domain: String) async throws -> Tenant? {
        let mustWait = state.withLock { state in
            state.calls += 1
            return !state.isOpen
        }
        if mustWait {
            await withCheckedContinuation { continuation in
                let openAlready = state.withLock { state in
                    if state.isOpen { return true }
                    state.blocked = continuation
                    return false
                }
                if openAlready { continuation.resume() }
            }
        }
        return try await source.tenant(domain: domain)
    }

    func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication? {
        try await source.application(tenantID: tenantID, consumerKey: consumerKey)
    }

    func waitUntilBlocked() async {
        while state.withLock({ $0.blocked == nil }) { await Task.yield() }
    }

    func open() {
        let continuation = state.withLock { state in
            state.isOpen = true
            defer { state.blocked = nil }
            return state.blocked
        }
        continuation?.resume()
    }
}
