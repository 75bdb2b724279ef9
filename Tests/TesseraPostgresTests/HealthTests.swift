import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Synchronization
import TesseraCore
import TesseraPostgres
import Testing

/// `/health/live` answers while the process serves; `/health/ready` only while the database answers and its
/// schema is current, and says why not with 503 and `Retry-After`.
@Suite("Health endpoints against PostgreSQL", .timeLimit(.minutes(2)))
struct HealthTests {
    struct HealthBody: Decodable {
        let status: String
        let reason: String?
    }

    static func get(_ path: String, _ client: some TestClientProtocol) async throws -> (TestResponse, HealthBody) {
        let response = try await client.execute(uri: path, method: .get)
        let body = try JSONDecoder().decode(HealthBody.self, from: Data(response.body.readableBytesView))
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        return (response, body)
    }

    @Test("a migrated, reachable database: live 200 and ready 200")
    func ready() async throws {
        try await TestDatabase.with { database in
            try await TokenService.with(client: database.client) { service in
                try await service.application.test(.router) { http in
                    let (live, liveBody) = try await Self.get("/health/live", http)
                    #expect(live.status == .ok && liveBody.status == "live")
                    let (ready, readyBody) = try await Self.readiness(http) { $0.status == "ready" }
                    #expect(ready.status == .ok && readyBody.status == "ready" && readyBody.reason == nil)
                    #expect(ready.headers[.retryAfter] == nil)
                }
            }
        }
    }

    @Test("an unmigrated database: ready 503 naming tessera migrate, live still 200")
    func unmigrated() async throws {
        try await TestDatabase.with(migrated: false) { database in
            try await TokenService.with(client: database.client) { service in
                try await service.application.test(.router) { http in
                    let (ready, body) = try await Self.readiness(http) {
                        $0.reason?.contains("tessera migrate") == true
                    }
                    Self.expectUnavailable(ready, body)
                    #expect(body.reason?.contains("tessera migrate") == true)
                    #expect(try await Self.get("/health/live", http).0.status == .ok)
                }
            }
        }
    }

    @Test("an applied migration edited since: ready 503")
    func modifiedMigration() async throws {
        try await TestDatabase.with { database in
            try await database.client.query(
                "UPDATE tessera_schema_migrations SET checksum = 'edited' WHERE version = 1", logger: database.logger)
            try await TokenService.with(client: database.client) { service in
                try await service.application.test(.router) { http in
                    let (ready, body) = try await Self.get("/health/ready", http)
                    Self.expectUnavailable(ready, body)
                }
            }
        }
    }

    @Test("an unreachable database: ready 503 within seconds, without the address; live still 200")
    func unreachable() async throws {
        let client = try DatabaseOutageTests.unreachableClient()
        try await client.running {
            try await TokenService.with(client: client) { service in
                try await service.application.test(.router) { http in
                    let started = ContinuousClock.now
                    let (ready, body) = try await Self.get("/health/ready", http)
                    // The check gives up after 1 s; the rest is slack for a loaded two-core machine running tests in
                    // parallel (3.3 s was seen with a benchmark running beside the suite).
                    #expect(ContinuousClock.now - started < .seconds(6))
                    Self.expectUnavailable(ready, body)
                    #expect(body.reason?.contains("127.0.0.1") == false)
                    #expect(try await Self.get("/health/live", http).0.status == .ok)
                }
            }
        }
    }

    @Test("a read-only database (a standby after a failover): ready 503 naming it, live still 200")
    func readOnly() async throws {
        try await TestDatabase.with { database in
            var configuration = database.configuration
            configuration.options.additionalStartupParameters = [("default_transaction_read_only", "on")]
            let readOnly = PostgresClient(configuration: configuration, backgroundLogger: database.logger)
            try await readOnly.running {
                try await TokenService.with(client: readOnly) { service in
                    try await service.application.test(.router) { http in
                        let (ready, body) = try await Self.readiness(http) { $0.reason?.contains("read-only") == true }
                        Self.expectUnavailable(ready, body)
                        #expect(body.reason?.contains("read-only") == true)
                        #expect(try await Self.get("/health/live", http).0.status == .ok)
                    }
                }
            }
        }
    }

    @Test("token writes held past every deadline: ready 503 with their reason, though the database answers")
    func stalledWrites() async throws {
        try await TestDatabase.with { database in
            // Readiness as serve builds it, with a stall check the test sets (a real stall takes 15 s to declare).
            let stalled = Atomic(true)
            let readiness = DatabaseReadiness(
                client: database.client, migrations: try Migration.embedded(), logger: database.logger,
                stalls: [("token writes are not completing", { stalled.load(ordering: .relaxed) })])
            #expect(await readiness.check() == .unavailable(reason: "token writes are not completing"))
            stalled.store(false, ordering: .relaxed)
            // On a loaded machine a check may pass its 1 s deadline.
            let readyAgain = try await eventually(within: .seconds(15)) { await readiness.check() == .ready }
            #expect(readyAgain, "not ready again once the writes completed")
        }
    }

    /// `/health/ready`'s answer once `expected` holds for it, asked again for up to 15 s: on a loaded machine a
    /// first check may pass its 1 s deadline and say only that the database does not answer (a 503 too).
    static func readiness(_ client: some TestClientProtocol, until expected: (HealthBody) -> Bool) async throws
        -> (TestResponse, HealthBody)
    {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let (response, body) = try await get("/health/ready", client)
            if expected(body) || ContinuousClock.now > deadline { return (response, body) }
            try await Task.sleep(for: .milliseconds(1100))  // the probe reuses an answer for a second
        }
    }

    static func expectUnavailable(
        _ response: TestResponse, _ body: HealthBody, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == .serviceUnavailable, sourceLocation: sourceLocation)
        #expect(body.status == "unavailable", sourceLocation: sourceLocation)
        #expect(body.reason?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(
            response.headers[.retryAfter].flatMap { Int($0) }.map { $0 > 0 } == true, sourceLocation: sourceLocation)
    }
}
