import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// `serve`'s pool over a host list goes where writes are taken, and moves when that changes: the client side of a
/// failover. Played with two clusters made read-only and writable in turn (`default_transaction_read_only`, as
/// pg_auto_failover holds a node until it is confirmed primary).
@Suite("Following the primary", .timeLimit(.minutes(2)))
struct FailoverClientTests {
    @Test("the pool moves to the host that takes writes, and back when they swap; the change feed follows")
    func followsThePrimary() async throws {
        let first = try await ThrowawayCluster.start()
        defer { Task { await first.remove() } }
        let second = try await ThrowawayCluster.start()
        defer { Task { await second.remove() } }
        let (a, b) = (try DatabaseURL(first.url), try DatabaseURL(second.url))
        // nextval() is refused in a read-only transaction: what answers it takes writes.
        try await Self.run(a, ["CREATE SEQUENCE probe"])
        try await Self.run(b, ["CREATE SEQUENCE probe"])
        try await Self.setReadOnly(a, true)
        let pair = try DatabaseURL(
            "postgres://tessera@\(a.endpoints[0]),\(b.endpoints[0])/tessera?target_session_attrs=read-write")
        let client = FailoverClient(url: pair, logger: TestDatabase.logger) { host in
            PostgresClient(configuration: host.clientConfiguration(), backgroundLogger: TestDatabase.logger)
        }
        let running = Task { await client.run() }
        defer { running.cancel() }
        let feed = DirectoryChangeFeed(
            client: client, caches: [CachedClientDirectory(source: PostgresClientDirectory(client: client))],
            logger: TestDatabase.logger)
        let listening = Task { try await feed.run() }
        defer { listening.cancel() }

        #expect(try await eventually(within: .seconds(5)) { client.currentEndpoint == b.endpoints[0] })
        #expect(try await Self.portOfWrite(client) == b.port)
        #expect(try await eventually(within: .seconds(5)) { try await Self.isListening(b) }, "no LISTEN on the primary")

        // The failover: the second host stops taking writes, the first takes them again.
        try await Self.setReadOnly(a, false)
        try await Self.setReadOnly(b, true)
        #expect(try await eventually(within: .seconds(5)) { client.currentEndpoint == a.endpoints[0] })
        #expect(try await Self.portOfWrite(client) == a.port)
        // The feed's connection to the old primary was closed with its pool; it listens on the new one.
        #expect(
            try await eventually(within: .seconds(5)) { try await Self.isListening(a) },
            "the change feed did not subscribe again on the new primary")
        #expect(
            try await eventually(within: .seconds(5)) { try await !Self.isListening(b) },
            "the change feed still listens on the old primary")

        running.cancel()
        await running.value
    }

    @Test("with one host the pool is that host's, whatever it answers")
    func oneHost() async throws {
        let url = try DatabaseURL(try TestDatabase.serverConfigurationURL())
        let client = FailoverClient(url: url, logger: TestDatabase.logger) { host in
            PostgresClient(configuration: host.clientConfiguration(), backgroundLogger: TestDatabase.logger)
        }
        let running = Task { await client.run() }
        defer { running.cancel() }
        let rows = try await client.current.query("SELECT 1")
        for try await one in rows.decode(Int.self) { #expect(one == 1) }
        #expect(client.currentEndpoint == url.endpoints[0])
    }

    static func setReadOnly(_ url: DatabaseURL, _ readOnly: Bool) async throws {
        try await run(
            url,
            ["ALTER SYSTEM SET default_transaction_read_only = \(readOnly ? "on" : "off")", "SELECT pg_reload_conf()"])
    }

    static func run(_ url: DatabaseURL, _ statements: [String]) async throws {
        let admin = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: TestDatabase.logger)
        try await admin.running {
            for statement in statements { _ = try await admin.query(PostgresQuery(unsafeSQL: statement)) }
        }
    }

    /// Whether a session on `url`'s server LISTENs on the directory channel (its last statement).
    static func isListening(_ url: DatabaseURL) async throws -> Bool {
        let admin = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: TestDatabase.logger)
        return try await admin.running {
            let rows = try await admin.query(
                "SELECT count(*)::bigint FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
            for try await count in rows.decode(Int.self) { return count > 0 }
            return false
        }
    }

    /// Writes through the client's current pool and says which server took it.
    static func portOfWrite(_ client: FailoverClient) async throws -> Int? {
        let rows = try await client.current.query(
            "SELECT inet_server_port() FROM (SELECT nextval('probe')) AS written")
        for try await port in rows.decode(Int.self) { return port }
        return nil
    }
}
