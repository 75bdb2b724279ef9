import Foundation
import Logging
import PostgresNIO
import Prometheus
import TesseraCore
import TesseraPostgres
import Testing

@Suite("Group commit of access tokens")
struct GroupCommitTokenStoreTests {
    static func token(tenantID: Tenant.ID, subject: String = "client", scopes: [String] = ["default", "read"])
        -> IssuedToken
    {
        let now = Date()
        return IssuedToken(
            hash: TokenHash(of: TokenReference.generate(.access, expiresAt: now.addingTimeInterval(3600))),
            tenantID: tenantID, applicationID: 1,
            subject: subject, scopes: ScopeSet(scopes), grantType: "client_credentials", issuedAt: now,
            expiresAt: now.addingTimeInterval(3600))
    }

    @Test("300 concurrent tokens are all committed, each with its own columns, when store returns")
    func concurrentTokensCommitted() async throws {
        try await TestDatabase.with { database in
            let store = GroupCommitTokenStore(
                client: database.client, writers: 2, maximumBatch: 64, logger: database.logger)
            let writer = Task { try await store.run() }
            defer { writer.cancel() }
            let tokens = (0..<300).map { Self.token(tenantID: 7, subject: "client-\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for token in tokens { group.addTask { try await store.store(token) } }
                try await group.waitForAll()
            }
            let rows = try await database.client.rows(
                "SELECT subject, scopes, grant_type FROM access_tokens WHERE tenant_id = 7",
                as: (String, [String], String).self)
            #expect(rows.count == 300)
            #expect(Set(rows.map(\.0)) == Set(tokens.map(\.subject)))
            #expect(rows.allSatisfy { $0.1 == ["default", "read"] && $0.2 == "client_credentials" })
            let hashes = try await database.client.rows(
                "SELECT token_hash FROM access_tokens WHERE tenant_id = 7", as: ByteBuffer.self)
            #expect(Set(hashes.map { Array($0.readableBytesView) }) == Set(tokens.map(\.hash.bytes)))
        }
    }

    @Test("a batch whose partition is missing makes it on the connection it holds: a pool of one connection is enough")
    func partitionMadeOnTheSessionsConnection() async throws {
        try await TestDatabase.with { database in
            var configuration = database.configuration
            configuration.options.maximumConnections = 1
            let single = PostgresClient(configuration: configuration, backgroundLogger: database.logger)
            try await single.running {
                let store = GroupCommitTokenStore(client: single, writers: 1, maximumBatch: 8, logger: database.logger)
                let writer = Task { try await store.run() }
                defer { writer.cancel() }
                // Twenty days out: no partition takes it until the store makes one.
                let now = Date()
                let expiry = now.addingTimeInterval(20 * 86_400)
                try await store.store(
                    IssuedToken(
                        hash: TokenHash(of: TokenReference.generate(.access, expiresAt: expiry)), tenantID: 9,
                        applicationID: 1, subject: "client", scopes: ScopeSet(["default"]),
                        grantType: "client_credentials", issuedAt: now, expiresAt: expiry))
            }
            #expect(try await database.count("access_tokens") == 1)
        }
    }

    @Test("every committed batch is recorded in the batch size histogram")
    func batchSizeHistogram() async throws {
        try await TestDatabase.with { database in
            let registry = PrometheusCollectorRegistry()
            let store = GroupCommitTokenStore(
                client: database.client, writers: 2, maximumBatch: 64, logger: database.logger,
                metrics: PrometheusMetricsFactory(registry: registry))
            let writer = Task { try await store.run() }
            defer { writer.cancel() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { try await store.store(Self.token(tenantID: 8, subject: "c\(index)")) }
                }
                try await group.waitForAll()
            }
            let text = registry.emitToString()
            // The histogram's sum is the number of tokens written; its count the number of batches.
            #expect(text.contains("tessera_token_write_batch_size_sum 200"), "\(text)")
            let count = text.split(separator: "\n").first { $0.hasPrefix("tessera_token_write_batch_size_count ") }
            let batches = try #require(count.flatMap { Int($0.split(separator: " ")[1]) })
            #expect(batches >= 4 && batches <= 200)
            // The database gauges: nothing waits and no writer is busy once every store returned.
            #expect(text.contains(#"tessera_database_queue_length{work="token_writes"} 0"#), "\(text)")
            #expect(text.contains(#"tessera_database_batches_in_flight{work="token_writes"} 0"#), "\(text)")
        }
    }

    @Test("a full queue refuses at once with StoreUnavailableError (503), never queues without bound")
    func fullQueueRefuses() async throws {
        try await TestDatabase.with { database in
            let store = GroupCommitTokenStore(client: database.client, maximumQueue: 0, logger: database.logger)
            await #expect(throws: StoreUnavailableError.self) { try await store.store(Self.token(tenantID: 1)) }
        }
    }

    @Test("after shutdown the store refuses new tokens and its writers end")
    func closedRefuses() async throws {
        try await TestDatabase.with { database in
            let store = GroupCommitTokenStore(client: database.client, logger: database.logger)
            let writer = Task { try await store.run() }
            try await store.store(Self.token(tenantID: 3))
            writer.cancel()
            try await writer.value
            await #expect(throws: StoreUnavailableError.self) { try await store.store(Self.token(tenantID: 3)) }
            let count = try await database.client.rows(
                "SELECT count(*) FROM access_tokens WHERE tenant_id = 3", as: Int64.self)
            #expect(count.first == 1)
        }
    }
}
