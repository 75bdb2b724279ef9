import PostgresNIO
import TesseraPostgres
import Testing

/// How the CLI picks a host from a list: libpq's order, and with `target_session_attrs=read-write` only a host
/// that takes writes, which is how a client finds the primary of a pair after a failover.
@Suite("Finding the host to use", .timeLimit(.minutes(2)))
struct DatabaseProbeTests {
    @Test("the first host that answers; a host that refuses connections is passed over")
    func firstThatAnswers() async throws {
        let test = try DatabaseURL(try TestDatabase.serverConfigurationURL())
        let url = try DatabaseURL("postgres://tessera@127.0.0.1:1,\(test.host):\(test.port)/\(test.database)")
        let chosen = try await DatabaseProbe.locate(url, logger: TestDatabase.logger)
        #expect(chosen.endpoints == [test.endpoints[0]])
    }

    @Test("with target_session_attrs=read-write a read-only host is passed over, and none but read-only is an error")
    func readWrite() async throws {
        let test = try DatabaseURL(try TestDatabase.serverConfigurationURL())
        let cluster = try await ThrowawayCluster.start()
        defer { Task { await cluster.remove() } }
        let standby = try DatabaseURL(cluster.url)
        let admin = PostgresClient(configuration: standby.clientConfiguration(), backgroundLogger: TestDatabase.logger)
        try await admin.running {
            _ = try await admin.query("ALTER SYSTEM SET default_transaction_read_only = on")
            _ = try await admin.query("SELECT pg_reload_conf()")
        }
        let pair = try DatabaseURL(
            "postgres://tessera@\(standby.host):\(standby.port),\(test.host):\(test.port)/\(test.database)"
                + "?target_session_attrs=read-write")
        let standbyOnly = try DatabaseURL(
            "postgres://tessera@\(standby.host):\(standby.port)/tessera?target_session_attrs=read-write")
        await #expect(throws: DatabaseURLError.self) {
            try await DatabaseProbe.locate(standbyOnly, logger: TestDatabase.logger)
        }
        let anyHost = try DatabaseURL("postgres://tessera@\(standby.host):\(standby.port)/tessera")
        #expect(try await DatabaseProbe.locate(anyHost, logger: TestDatabase.logger).port == standby.port)
        let chosen = try await DatabaseProbe.locate(pair, logger: TestDatabase.logger)
        #expect(chosen.endpoints == [test.endpoints[0]])
    }
}
