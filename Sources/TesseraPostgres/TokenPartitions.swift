import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// The partitions of the token tables (migration 0004): made ahead of need and on demand, and dropped whole
/// once their expiry range has passed. Purge never deletes token rows, so it leaves no dead rows to vacuum.
public struct TokenPartitions: Sendable {
    static let tables = ["access_tokens", "refresh_tokens"]

    private let client: any DatabaseClient
    private let logger: Logger

    public init(client: any DatabaseClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// What one purge did.
    public struct PurgeReport: Sendable, Encodable {
        /// Partitions dropped, by name.
        public let droppedPartitions: [String]
        /// Refresh families deleted whose every token had expired.
        public let deletedFamilies: Int
        /// Previous secrets removed whose grace period had ended (servers already refused them).
        public let expiredSecrets: Int
        /// Used client assertion ids removed whose assertion had expired.
        public let expiredAssertions: Int
        /// Initial access tokens for client registration removed after their expiry.
        public let expiredRegistrationTokens: Int
        /// Browser sessions past their expiry (the sign-in pages already treat them as signed out).
        public let expiredSessions: Int
        /// Authorization codes a day past their expiry: kept that long so that a late replay still revokes what
        /// the code gave.
        public let expiredCodes: Int
        /// Partitions made ahead for the coming days.
        public let createdPartitions: Int
        /// How long detaching and dropping the expired partitions took, in seconds.
        public let droppingSeconds: Double

        enum CodingKeys: String, CodingKey {
            case droppedPartitions = "dropped_partitions"
            case deletedFamilies = "deleted_families"
            case expiredSecrets = "expired_secrets"
            case expiredAssertions = "expired_assertions"
            case expiredRegistrationTokens = "expired_registration_tokens"
            case expiredSessions = "expired_sessions"
            case expiredCodes = "expired_codes"
            case createdPartitions = "created_partitions"
            case droppingSeconds = "dropping_seconds"
        }
    }

    /// Makes sure partitions exist for today and the next `days` days, so that the common lifetimes never wait
    /// for one to be made; returns how many were new. Today is `now`'s, the database's own by default.
    @discardableResult
    public func prepare(days: Int = 2, now: Date? = nil) async throws -> Int {
        let before = try await partitionCount()
        try await client.current.query(
            """
            SELECT tessera_ensure_token_partition(t, d)
            FROM unnest(ARRAY['access_tokens', 'refresh_tokens']) t,
                 date_trunc('day', COALESCE(\(now)::timestamptz, now()), 'UTC') today,
                 generate_series(today, today + \(Double(days * 86_400)) * interval '1 second', interval '1 day') d
            """, logger: logger)
        return try await partitionCount() - before
    }

    private func partitionCount() async throws -> Int {
        let rows = try await client.current.query("SELECT count(*) FROM token_partitions", logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// Drops every partition whose whole range lies before `now` (the database's time by default), deletes dead
    /// families, and prepares the coming days. Each partition is detached concurrently first (PostgreSQL 14+), so
    /// token requests never wait on a lock of the parent table for the length of a drop.
    public func purge(now: Date? = nil) async throws -> PurgeReport {
        var dropped: [String] = []
        let rows = try await client.current.query(
            """
            SELECT partition, detach_pending FROM token_partitions
            WHERE upper_bound <= COALESCE(\(now)::timestamptz, now()) ORDER BY upper_bound, partition
            """, logger: logger)
        var expired: [(String, Bool)] = []
        for try await row in rows.decode((String, Bool).self) { expired.append(row) }
        let clock = ContinuousClock()
        let dropping = clock.now
        for (partition, pending) in expired {
            let parent = try Self.parent(of: partition)
            // A detach interrupted earlier is finished instead of started again.
            let mode = pending ? "FINALIZE" : "CONCURRENTLY"
            try await client.current.query(
                PostgresQuery(unsafeSQL: "ALTER TABLE \(parent) DETACH PARTITION \(partition) \(mode)"),
                logger: logger)
            try await client.current.query(PostgresQuery(unsafeSQL: "DROP TABLE \(partition)"), logger: logger)
            dropped.append(partition)
        }
        let dropSeconds = (clock.now - dropping) / .seconds(1)
        // A family's expires_at is the latest expiry of any of its tokens (InsertTokenFamily, RotateRefreshToken,
        // migration 0007): none outlives the row that says whether it was revoked.
        let deleted = try await count(
            "WITH gone AS (DELETE FROM token_families WHERE expires_at <= COALESCE(\(now)::timestamptz, now()) RETURNING 1) SELECT count(*) FROM gone"
        )
        // A rotated secret past its grace period is refused by every server already (they compare its expiry);
        // this only removes its hash (migration 0009).
        let expiredSecrets = try await count(
            """
            WITH gone AS (
                UPDATE applications SET previous_secret_hash = NULL, previous_secret_expires_at = NULL
                WHERE previous_secret_expires_at <= COALESCE(\(now)::timestamptz, now()) RETURNING 1
            ) SELECT count(*) FROM gone
            """)
        // An assertion past its expiry is refused whatever the ledger says, so its id no longer needs keeping.
        let expiredAssertions = try await count(
            """
            WITH gone AS (
                DELETE FROM used_client_assertions WHERE expires_at <= COALESCE(\(now)::timestamptz, now()) RETURNING 1
            ) SELECT count(*) FROM gone
            """)
        // An initial access token past its expiry registers no one (the registration checks it); only its row is left.
        let expiredRegistrationTokens = try await count(
            """
            WITH gone AS (
                DELETE FROM registration_tokens WHERE expires_at <= COALESCE(\(now)::timestamptz, now()) RETURNING 1
            ) SELECT count(*) FROM gone
            """)
        let expiredSessions = try await count(
            """
            WITH gone AS (
                DELETE FROM browser_sessions WHERE expires_at <= COALESCE(\(now)::timestamptz, now()) RETURNING 1
            ) SELECT count(*) FROM gone
            """)
        let expiredCodes = try await count(
            """
            WITH gone AS (
                DELETE FROM authorization_codes
                WHERE expires_at <= COALESCE(\(now)::timestamptz, now()) - interval '1 day' RETURNING 1
            ) SELECT count(*) FROM gone
            """)
        let created = try await prepare(now: now)
        return PurgeReport(
            droppedPartitions: dropped, deletedFamilies: deleted, expiredSecrets: expiredSecrets,
            expiredAssertions: expiredAssertions, expiredRegistrationTokens: expiredRegistrationTokens,
            expiredSessions: expiredSessions, expiredCodes: expiredCodes, createdPartitions: created,
            droppingSeconds: dropSeconds)
    }

    /// The one count a purge statement answers (`SELECT count(*) FROM gone`).
    private func count(_ query: PostgresQuery) async throws -> Int {
        for try await count in try await client.current.query(query, logger: logger).decode(Int64.self) {
            return Int(count)
        }
        return 0
    }

    /// The parent table of a partition name from `token_partitions`, checked before it goes into DDL text.
    static func parent(of partition: String) throws -> String {
        guard let parent = tables.first(where: { partition.hasPrefix($0 + "_") }),
            partition.utf8.allSatisfy({
                $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0)
            })
        else { throw CorruptRowError(description: "unexpected token partition name \(partition)") }
        return parent
    }

    /// Runs `operation`; when it fails because no partition takes a row, makes the partitions for `expiries`
    /// and runs it once more. Database outages become `StoreUnavailableError` as in `PostgresAvailability`.
    static func run(
        _ client: any DatabaseClient, creating table: String, for expiries: [Date],
        _ operation: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await run(client, creating: [table: expiries], operation)
    }

    static func run(
        _ client: any DatabaseClient, creating expiries: [String: [Date]],
        _ operation: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await run(creating: expiries, making: { _ = try await client.current.query($0) }, operation)
    }

    /// As `run(_:creating:for:_:)`, with the partitions made on `connection`, which the caller holds (a batch
    /// session): asking the pool for a second connection while holding one waits in vain on a pool of one.
    static func run(
        on connection: PostgresConnection, logger: Logger, creating table: String, for expiries: [Date],
        _ operation: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await run(
            creating: [table: expiries], making: { _ = try await connection.query($0, logger: logger) },
            within: { try await PostgresAvailability.run(on: connection, $0) }, operation)
    }

    private static func run(
        creating expiries: [String: [Date]], making query: @escaping @Sendable (PostgresQuery) async throws -> Void,
        within deadline: (@escaping @Sendable () async throws -> Void) async throws -> Void = {
            try await PostgresAvailability.run($0)
        },
        _ operation: @escaping @Sendable () async throws -> Void
    ) async throws {
        do {
            try await deadline(operation)
        } catch let error as PSQLError where isMissingPartition(error) {
            try await deadline {
                for (table, dates) in expiries {
                    let days = Array(Set(dates.map { TokenReference.day(of: $0) })).map {
                        Date(timeIntervalSince1970: Double($0 * 86_400))
                    }
                    try await query(
                        "SELECT tessera_ensure_token_partition(\(table), d) FROM unnest(\(days)::timestamptz[]) d")
                }
            }
            try await deadline(operation)
        }
    }

    /// PostgreSQL's "no partition of relation ... found for row" (SQLSTATE 23514).
    static func isMissingPartition(_ error: PSQLError) -> Bool {
        error.serverInfo?[.sqlState] == "23514" && (error.serverInfo?[.message] ?? "").hasPrefix("no partition")
    }
}
