import Logging
import PostgresNIO
import Synchronization
import TesseraCore
import TesseraPostgres
import Testing

/// The directory cache over PostgreSQL, kept honest by `DirectoryChangeFeed`: a change made by the operator
/// through another client reaches the cache within a second.
@Suite("Directory cache and change feed", .timeLimit(.minutes(3)))
struct DirectoryCacheTests {
    @Test("a cached application that is disabled elsewhere is seen disabled within a second")
    func disabledApplication() async throws {
        try await TestDatabase.with { database in
            let key = try await database.register().application.consumerKey
            try await withLiveCache(database) { cache, source, administration in
                let tenant = try #require(try await cache.tenant(domain: "acme.example"))
                #expect(try await cache.application(tenantID: tenant.id, consumerKey: key)?.enabled == true)
                let reads = source.lookups
                #expect(try await cache.application(tenantID: tenant.id, consumerKey: key)?.enabled == true)
                #expect(source.lookups == reads, "the second lookup comes from memory")

                try await administration.setApplication(tenant: "acme.example", consumerKey: key, enabled: false)
                #expect(
                    try await eventually {
                        try await cache.application(tenantID: tenant.id, consumerKey: key)?.enabled == false
                    })
            }
        }
    }

    @Test("a tenant looked up before it existed is found within a second of its creation")
    func newTenant() async throws {
        try await TestDatabase.with { database in
            try await withLiveCache(database) { cache, source, administration in
                #expect(try await cache.tenant(domain: "new.example") == nil)
                let reads = source.lookups
                #expect(try await cache.tenant(domain: "new.example") == nil)
                #expect(source.lookups == reads, "the absence is remembered")

                _ = try await administration.createTenant(domain: "new.example")
                #expect(try await eventually { try await cache.tenant(domain: "new.example") != nil })
            }
        }
    }

    @Test("a cached tenant that is disabled elsewhere is seen disabled within a second")
    func disabledTenant() async throws {
        try await TestDatabase.with { database in
            _ = try await database.administration.createTenant(domain: "acme.example")
            try await withLiveCache(database) { cache, source, administration in
                #expect(try await cache.tenant(domain: "acme.example")?.enabled == true)
                let reads = source.lookups
                #expect(try await cache.tenant(domain: "acme.example")?.enabled == true)
                #expect(source.lookups == reads, "the second lookup comes from memory")

                try await administration.setTenant(domain: "acme.example", enabled: false)
                #expect(try await eventually { try await cache.tenant(domain: "acme.example")?.enabled == false })
            }
        }
    }

    @Test("a secret rotated elsewhere replaces the cached one within a second")
    func rotatedSecret() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let key = registered.application.consumerKey
            try await withLiveCache(database) { cache, source, administration in
                let tenant = try #require(try await cache.tenant(domain: "acme.example"))
                let cached = try await cache.application(tenantID: tenant.id, consumerKey: key)
                #expect(cached?.secretHash.verifies(registered.secret) == true)
                let reads = source.lookups
                _ = try await cache.application(tenantID: tenant.id, consumerKey: key)
                #expect(source.lookups == reads, "the second lookup comes from memory")

                let rotated = try await administration.rotateSecret(tenant: "acme.example", consumerKey: key).secret
                #expect(
                    try await eventually {
                        let application = try await cache.application(tenantID: tenant.id, consumerKey: key)
                        return application?.secretHash.verifies(rotated) == true
                    })
                let application = try await cache.application(tenantID: tenant.id, consumerKey: key)
                #expect(application?.secretHash.verifies(registered.secret) == false)
            }
        }
    }

    @Test("a flood of random consumer keys and tenant names costs a lookup and a listing; new names are found")
    func floodOfUnknownNames() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            try await withLiveCache(database) { cache, source, administration in
                let tenant = try #require(try await cache.tenant(domain: "acme.example"))
                let reads = source.lookups
                for index in 0..<500 {
                    #expect(try await cache.application(tenantID: tenant.id, consumerKey: "random-\(index)") == nil)
                    #expect(try await cache.tenant(domain: "random-\(index).example") == nil)
                }
                // One lookup of the first unknown key and one listing of the tenant's keys. The domains were listed
                // when waitUntilLive asked for an unknown one.
                #expect(source.lookups - reads == 2)
                let key = registered.application.consumerKey
                #expect(try await cache.application(tenantID: tenant.id, consumerKey: key) != nil)

                let (created, _) = try await administration.createApplication(
                    tenant: "acme.example", settings: TestDatabase.settings(name: "created-later"))
                #expect(
                    try await eventually {
                        try await cache.application(tenantID: tenant.id, consumerKey: created.consumerKey) != nil
                    })
                _ = try await administration.createTenant(domain: "later.example")
                #expect(try await eventually { try await cache.tenant(domain: "later.example") != nil })
            }
        }
    }

    @Test("without a running change feed the cache reads every lookup from the database")
    func noFeedNoCache() async throws {
        try await TestDatabase.with { database in
            _ = try await database.register()
            let source = CountingDirectory(source: PostgresClientDirectory(client: database.client))
            let cache = CachedClientDirectory(source: source)
            for _ in 0..<3 {
                #expect(try await cache.tenant(domain: "acme.example") != nil)
                #expect(try await cache.tenant(domain: "nobody.example") == nil)
            }
            #expect(source.lookups == 6)
        }
    }

    @Test("once the change feed stops, the cache reads through again")
    func stoppedFeedReadsThrough() async throws {
        try await TestDatabase.with { database in
            _ = try await database.administration.createTenant(domain: "acme.example")
            let source = CountingDirectory(source: PostgresClientDirectory(client: database.client))
            let cache = CachedClientDirectory(source: source)
            let feed = Task {
                try await DirectoryChangeFeed(client: database.client, caches: [cache], logger: database.logger).run()
            }
            try await waitUntilLive(cache, source)
            feed.cancel()
            _ = try await feed.value

            let reads = source.lookups
            _ = try await cache.tenant(domain: "acme.example")
            _ = try await cache.tenant(domain: "acme.example")
            #expect(source.lookups == reads + 2)
        }
    }

    @Test("a directory change is announced with the tenant id and nothing else")
    func notificationPayload() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register()
            let tenantID = try await DirectoryAdministrationTests.tenantID(database)
            let listener = database.makeClient()
            let payload = try await listener.running {
                try await listener.withConnection { connection in
                    try await connection.listen(on: DirectoryChangeFeed.channel) { notifications in
                        _ = try await database.administration.rotateSecret(
                            tenant: "acme.example", consumerKey: registered.application.consumerKey)
                        for try await notification in notifications { return notification.payload }
                        return ""
                    }
                }
            }
            #expect(payload == String(tenantID))
        }
    }

    // MARK: Helpers

    /// Runs `body` with a cache over the database whose change feed is running and live, and the operator's
    /// administration on a client of its own (as the CLI has), so that changes reach the cache only by the feed.
    func withLiveCache(
        _ database: TestDatabase,
        _ body: (CachedClientDirectory, CountingDirectory, DirectoryAdministration) async throws -> Void
    ) async throws {
        let source = CountingDirectory(source: PostgresClientDirectory(client: database.client))
        let cache = CachedClientDirectory(source: source)
        let feed = DirectoryChangeFeed(client: database.client, caches: [cache], logger: database.logger)
        let operatorClient = database.makeClient()
        try await operatorClient.running {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await feed.run() }
                defer { group.cancelAll() }
                try await waitUntilLive(cache, source)
                try await body(cache, source, DirectoryAdministration(client: operatorClient, logger: database.logger))
            }
        }
    }

    /// The feed is live once a repeated lookup no longer reaches the database.
    func waitUntilLive(_ cache: CachedClientDirectory, _ source: CountingDirectory) async throws {
        let live = try await eventually(within: .seconds(10)) {
            _ = try await cache.tenant(domain: "probe.invalid")
            let reads = source.lookups
            _ = try await cache.tenant(domain: "probe.invalid")
            return source.lookups == reads
        }
        try #require(live, "the directory change feed did not become live")
    }
}

/// Polls `condition` until it holds or `within` has passed; whether it held.
func eventually(
    within limit: Duration = .seconds(1), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A directory that counts the lookups reaching it, to see what the cache in front of it saved.
final class CountingDirectory: ClientDirectory {
    private let source: any ClientDirectory
    private let count = Mutex(0)

    init(source: any ClientDirectory) {
        self.source = source
    }

    var lookups: Int { count.withLock { $0 } }

    func tenant(domain: String) async throws -> Tenant? {
        count.withLock { $0 += 1 }
        return try await source.tenant(domain: domain)
    }

    func application(tenantID: Tenant.ID, consumerKey: String) async throws -> ClientApplication? {
        count.withLock { $0 += 1 }
        return try await source.application(tenantID: tenantID, consumerKey: consumerKey)
    }

    func tenantDomains(limit: Int) async throws -> Set<String>? {
        count.withLock { $0 += 1 }
        return try await source.tenantDomains(limit: limit)
    }

    func consumerKeys(tenantID: Tenant.ID, limit: Int) async throws -> Set<String>? {
        count.withLock { $0 += 1 }
        return try await source.consumerKeys(tenantID: tenantID, limit: limit)
    }
}
