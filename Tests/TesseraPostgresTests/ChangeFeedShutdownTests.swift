import Logging
import PostgresNIO
import ServiceLifecycle
import TesseraCore
import TesseraPostgres
import Testing

/// SIGTERM during a database outage: the services behind the listeners stop within seconds, instead of waiting on
/// a connection the pool keeps retrying.
@Suite("Graceful shutdown during a database outage", .timeLimit(.minutes(3)))
struct ChangeFeedShutdownTests {
    @Test("the directory change feed and the pool stop on graceful shutdown while the database refuses connections")
    func feedStopsDuringOutage() async throws {
        let client = try DatabaseOutageTests.unreachableClient()
        let feed = DirectoryChangeFeed(
            client: client, caches: [CachedClientDirectory(source: PostgresClientDirectory(client: client))],
            logger: TestDatabase.logger)
        let group = ServiceGroup(configuration: .init(services: [client, feed], logger: TestDatabase.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Long enough for the feed to be waiting on a lease the pool cannot fill.
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await tasks.next()
            // A connection attempt under way may run out its 5 s connect timeout first; the full suite on two
            // cores once took 10.15 s. Well short of the pool's minute of retries that this test is about.
            #expect(ContinuousClock.now - started < .seconds(20), "seconds, not the pool's minute of retries")
        }
    }
}
