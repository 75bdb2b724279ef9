import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// A write is acknowledged only once its commit is durable where the operator asked for it: with synchronous
/// replication, once the standby has it. A token answered 200 whose commit then vanishes with the primary is the
/// one loss a failover must never cause.
///
/// The failure this guards against: with the extended query protocol an implicit transaction commits at Sync,
/// after the statement's CommandComplete is already in the server's output buffer. When a fast shutdown ends the
/// commit's wait for the standby, PostgreSQL sends the warning "canceling the wait for synchronous replication",
/// which flushes that buffer: PostgresNIO then reads the statement as done, for a commit no standby has.
///
/// Played here on one cluster whose synchronous standby never connects, so every commit waits for it: each write
/// is started, seen waiting (`SyncRep`), and the cluster is fast-stopped, then started again for the next. The
/// write must fail. One cluster for all: a cluster each, made at once, starved the other suites of the run.
@Suite("Commit durability", .timeLimit(.minutes(2)))
struct CommitDurabilityTests {
    enum Write: String, CaseIterable, Sendable {
        case accessTokenBatch = "a batch of access tokens"
        case refreshFamily = "a new refresh token family"
        case refreshRotation = "a refresh token exchange"
        case revocation = "a revocation"
    }

    @Test("a write whose commit waits for an absent synchronous standby fails when the primary stops")
    func unreplicatedCommitFails() async throws {
        let cluster = try await ThrowawayCluster.start()
        do {
            let family = try await Self.prepare(cluster)
            for write in Write.allCases {
                try await Self.unreplicatedCommitFails(write, family: family, on: cluster)
                try await cluster.restart()
            }
            await cluster.remove()
        } catch {
            await cluster.remove()
            throw error
        }
    }

    /// Migrates, stores the family the exchange and the revocation use, and makes every later commit wait for a
    /// standby that never comes.
    static func prepare(_ cluster: ThrowawayCluster) async throws -> ExistingFamily {
        let configuration = try DatabaseURL(cluster.url).clientConfiguration()
        let setup = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
        return try await setup.running {
            try await MigrationRunner(migrations: Migration.embedded()).migrate(
                client: setup, logger: TestDatabase.logger)
            let family = try await Self.existingFamily(setup)
            // The throwaway cluster runs with synchronous_commit off on its command line; a database setting
            // outranks that for new sessions. The standby named never connects.
            _ = try await setup.query("ALTER DATABASE tessera SET synchronous_commit = on")
            _ = try await setup.query("ALTER SYSTEM SET synchronous_standby_names = 'tessera_absent_standby'")
            _ = try await setup.query("SELECT pg_reload_conf()")
            return family
        }
    }

    static func unreplicatedCommitFails(_ write: Write, family: ExistingFamily, on cluster: ThrowawayCluster)
        async throws
    {
        let configuration = try DatabaseURL(cluster.url).clientConfiguration()
        let client = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
        let observer = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
        try await client.running {
            try await observer.running {
                let store = GroupCommitTokenStore(client: client, logger: TestDatabase.logger)
                let ledger = PostgresTokenLedger(client: client)
                let writer = Task { try await store.run() }
                defer { writer.cancel() }
                let started = ContinuousClock.now
                let outcome = Task { () -> Result<Void, any Error> in
                    do {
                        try await Self.perform(write, store: store, ledger: ledger, family: family)
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
                let waiting = try await eventually(within: .seconds(2)) {
                    try await observer.rows(
                        "SELECT count(*)::bigint FROM pg_stat_activity WHERE wait_event = 'SyncRep'", as: Int.self
                    ).first ?? 0 > 0
                }
                try #require(waiting, "the write never waited for the synchronous standby")
                try cluster.beginFastShutdown()
                // Stopped before the write's 3 s deadline, or the test tells nothing: before the fix, the write
                // was acknowledged as the primary stopped.
                #expect(
                    ContinuousClock.now - started < .seconds(2.5),
                    "\(write.rawValue): the primary stopped too late to tell")
                switch await outcome.value {
                case .success:
                    Issue.record("\(write.rawValue) was acknowledged though its commit never reached the standby")
                case .failure(let error):
                    // The lost connection ends it, or the deadline when PostgresNIO dropped the statement that waits
                    // for the commit on a channel closing under it; neither acknowledges anything.
                    #expect(error is StoreUnavailableError, "\(write.rawValue): \(error)")
                }
            }
        }
    }

    static func perform(
        _ write: Write, store: GroupCommitTokenStore, ledger: PostgresTokenLedger, family: ExistingFamily
    ) async throws {
        let now = Date()
        switch write {
        case .accessTokenBatch:
            try await store.store(GroupCommitTokenStoreTests.token(tenantID: 7))
        case .refreshFamily:
            try await store.store(
                GroupCommitTokenStoreTests.token(tenantID: 7),
                startingFamilyWith: Self.refreshToken(tenantID: 7, at: now))
        case .refreshRotation:
            let rotated = try await ledger.rotate(
                family.refreshToken, family: family.id, accessToken: GroupCommitTokenStoreTests.token(tenantID: 7),
                refreshToken: Self.refreshToken(tenantID: 7, at: now))
            #expect(rotated, "the presented refresh token was unused")
        case .revocation:
            try await ledger.revoke(family.accessToken, tenantID: 7, applicationID: 1, at: now)
        }
    }

    /// A family started before the standby was required: a refresh token to exchange, an access token to revoke.
    struct ExistingFamily: Sendable {
        let id: RefreshTokenState.FamilyID
        let refreshToken: TokenReference
        let accessToken: TokenReference
    }

    static func existingFamily(_ client: PostgresClient) async throws -> ExistingFamily {
        let now = Date()
        let expiry = now.addingTimeInterval(3600)
        let access = try #require(TokenReference(TokenReference.generate(.access, expiresAt: expiry)))
        let refresh = try #require(TokenReference(TokenReference.generate(.refresh, expiresAt: expiry)))
        let store = GroupCommitTokenStore(client: client, logger: TestDatabase.logger)
        try await store.store(
            IssuedToken(
                hash: access.hash, tenantID: 7, applicationID: 1, subject: "client",
                scopes: ScopeSet(["read"]), grantType: "refresh_token", issuedAt: now, expiresAt: expiry),
            startingFamilyWith: IssuedRefreshToken(
                hash: refresh.hash, tenantID: 7, applicationID: 1, userID: nil, subject: "client",
                scopes: ScopeSet(["read"]), issuedAt: now, expiresAt: expiry))
        let families = try await client.rows(
            "SELECT family_id FROM refresh_tokens WHERE token_hash = \(ByteBuffer(bytes: refresh.hash.bytes))",
            as: Int64.self)
        let id = try #require(families.first, "the family was not stored")
        return ExistingFamily(id: id, refreshToken: refresh, accessToken: access)
    }

    static func refreshToken(tenantID: Tenant.ID, at now: Date) -> IssuedRefreshToken {
        let expiry = now.addingTimeInterval(3600)
        return IssuedRefreshToken(
            hash: TokenHash(of: TokenReference.generate(.refresh, expiresAt: expiry)), tenantID: tenantID,
            applicationID: 1, userID: nil, subject: "client", scopes: ScopeSet(["read"]), issuedAt: now,
            expiresAt: expiry)
    }
}
