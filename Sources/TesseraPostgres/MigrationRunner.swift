import Logging
import PostgresNIO

/// Applies pending migrations in order, in one transaction, under an advisory lock; records each with its
/// checksum in `tessera_schema_migrations`.
///
/// Two `tessera migrate` runs at once serialize on the lock, and the second finds nothing to do. A failing
/// statement rolls back the whole run, so the schema is never half-migrated.
public struct MigrationRunner: Sendable {
    /// `pg_advisory_xact_lock` key: "tessera" in ASCII.
    static let lockKey: Int64 = 0x74_6573_7365_7261

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// What the database has compared with the migrations this binary knows.
    public struct Status: Sendable {
        /// Known migrations not yet applied, in order.
        public let pending: [Migration]
        /// Applied migrations whose file has changed since: the schema no longer matches the SQL.
        public let modified: [String]
        /// Applied versions this binary does not know (a newer binary migrated the database).
        public let unknownVersions: [Int]
        public var isCurrent: Bool { pending.isEmpty && modified.isEmpty }
    }

    /// Applies every pending migration; returns those applied, empty when the database was current.
    @discardableResult
    public func migrate(client: any DatabaseClient, logger: Logger) async throws -> [Migration] {
        do {
            return try await applyPending(client: client, logger: logger)
        } catch let error as PostgresTransactionError {
            // The transaction wraps what went wrong; the operator needs the cause itself.
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    private func applyPending(client: any DatabaseClient, logger: Logger) async throws -> [Migration] {
        try await client.current.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS tessera_schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            let status = self.status(applied: try await Self.applied(connection, logger: logger))
            guard status.modified.isEmpty else {
                throw MigrationError(
                    "applied migration \(status.modified.joined(separator: ", ")) was edited afterwards; "
                        + "restore the file and add the change as a new migration")
            }
            for migration in status.pending {
                logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO tessera_schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
            return status.pending
        }
    }

    /// Compares the database with the known migrations without changing anything.
    public func status(client: any DatabaseClient, logger: Logger) async throws -> Status {
        try await client.current.withConnection { connection in
            let rows = try await connection.query(
                "SELECT to_regclass('tessera_schema_migrations') IS NOT NULL", logger: logger)
            var exists = false
            for try await (found) in rows.decode(Bool.self) { exists = found }
            return status(applied: exists ? try await Self.applied(connection, logger: logger) : [:])
        }
    }

    private func status(applied: [Int: (name: String, checksum: String)]) -> Status {
        let known = Set(migrations.map(\.version))
        return Status(
            pending: migrations.filter { applied[$0.version] == nil },
            modified: migrations.compactMap { migration in
                guard let record = applied[migration.version], record.checksum != migration.checksum else { return nil }
                return migration.name
            },
            unknownVersions: applied.keys.filter { !known.contains($0) }.sorted()
        )
    }

    private static func applied(_ connection: PostgresConnection, logger: Logger) async throws -> [Int: (
        name: String, checksum: String
    )] {
        var applied: [Int: (name: String, checksum: String)] = [:]
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM tessera_schema_migrations", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }
        return applied
    }
}
