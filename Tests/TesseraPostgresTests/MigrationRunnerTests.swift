import Foundation
import Logging
import PostgresNIO
import TesseraPostgres
import Testing

@Suite("Migration runner", .timeLimit(.minutes(3)))
struct MigrationRunnerTests {
    let embedded: [Migration]

    init() throws {
        embedded = try Migration.embedded()
    }

    @Test("on an empty database every migration is applied and recorded with its name and checksum")
    func appliesAll() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let applied = try await MigrationRunner(migrations: embedded).migrate(
                client: database.client, logger: database.logger)
            #expect(applied == embedded)
            let records = try await Self.records(database)
            #expect(records.map(\.version) == embedded.map(\.version))
            #expect(records.map(\.name) == embedded.map(\.name))
            #expect(records.map(\.checksum) == embedded.map(\.checksum))
            #expect(try await Self.tableExists("access_tokens", database))
        }
    }

    @Test("a second run applies nothing and records nothing")
    func secondRunIsEmpty() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let runner = MigrationRunner(migrations: embedded)
            try await runner.migrate(client: database.client, logger: database.logger)
            let before = try await Self.records(database)
            #expect(try await runner.migrate(client: database.client, logger: database.logger).isEmpty)
            let after = try await Self.records(database)
            #expect(after.map(\.version) == before.map(\.version))
            #expect(after.map(\.appliedAt) == before.map(\.appliedAt))
        }
    }

    @Test("status lists every migration as pending before the run and none after")
    func status() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let runner = MigrationRunner(migrations: embedded)
            let before = try await runner.status(client: database.client, logger: database.logger)
            #expect(before.pending == embedded)
            #expect(before.modified.isEmpty)
            #expect(before.unknownVersions.isEmpty)
            #expect(!before.isCurrent)
            #expect(try await !Self.tableExists("tessera_schema_migrations", database), "status must change nothing")

            try await runner.migrate(client: database.client, logger: database.logger)
            let after = try await runner.status(client: database.client, logger: database.logger)
            #expect(after.pending.isEmpty)
            #expect(after.modified.isEmpty)
            #expect(after.isCurrent)
        }
    }

    @Test("versions applied by a newer build are reported and do not make the database out of date")
    func unknownVersions() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let newer = embedded + [try Migration(name: "9001_newer.sql", sql: "CREATE TABLE newer (a int);")]
            try await MigrationRunner(migrations: newer).migrate(client: database.client, logger: database.logger)
            let status = try await MigrationRunner(migrations: embedded).status(
                client: database.client, logger: database.logger)
            #expect(status.unknownVersions == [9001])
            #expect(status.isCurrent)
        }
    }

    @Test("an edited applied migration is refused and nothing changes")
    func editedFileRefused() async throws {
        try await TestDatabase.with { database in
            let first = try #require(embedded.first)
            let edited = try Migration(name: first.name, sql: first.sql + "\n-- edited afterwards\n")
            let next = try Migration(name: "9002_next.sql", sql: "CREATE TABLE next_table (a int);")
            let runner = MigrationRunner(migrations: [edited] + embedded.dropFirst() + [next])
            let before = try await Self.records(database)

            await #expect(throws: (any Error).self) {
                try await runner.migrate(client: database.client, logger: database.logger)
            }
            let after = try await Self.records(database)
            #expect(after.map(\.checksum) == before.map(\.checksum))
            #expect(after.count == before.count)
            #expect(try await !Self.tableExists("next_table", database))
            let status = try await runner.status(client: database.client, logger: database.logger)
            #expect(status.modified == [first.name])
            #expect(!status.isCurrent)
        }
    }

    @Test("a checksum edited in the database is refused and nothing changes")
    func editedRecordRefused() async throws {
        try await TestDatabase.with { database in
            let first = try #require(embedded.first)
            try await database.client.query(
                "UPDATE tessera_schema_migrations SET checksum = 'tampered' WHERE version = \(first.version)")
            let next = try Migration(name: "9003_next.sql", sql: "CREATE TABLE next_table (a int);")

            await #expect(throws: (any Error).self) {
                try await MigrationRunner(migrations: embedded + [next]).migrate(
                    client: database.client, logger: database.logger)
            }
            #expect(try await !Self.tableExists("next_table", database))
            #expect(try await Self.records(database).map(\.version) == embedded.map(\.version))
        }
    }

    @Test("a failing migration rolls back the whole run: no table, no record")
    func failingMigrationRollsBack() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let bad = try Migration(name: "0002_bad.sql", sql: "CREATE TABLE ok1 (a int); SELECT broken syntax here;")
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(migrations: embedded + [bad]).migrate(
                    client: database.client, logger: database.logger)
            }
            #expect(try await !Self.tableExists("ok1", database))
            #expect(
                try await !Self.tableExists("tenants", database), "the good migration of the same run is undone too")
            #expect(try await !Self.tableExists("tessera_schema_migrations", database))
        }
    }

    @Test("a failing migration after applied ones leaves them as they were and records nothing")
    func failingMigrationOnMigratedDatabase() async throws {
        try await TestDatabase.with { database in
            let bad = try Migration(name: "9004_bad.sql", sql: "CREATE TABLE ok1 (a int); SELECT broken syntax here;")
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(migrations: embedded + [bad]).migrate(
                    client: database.client, logger: database.logger)
            }
            #expect(try await !Self.tableExists("ok1", database))
            #expect(try await Self.records(database).map(\.version) == embedded.map(\.version))
        }
    }

    // `tessera migrate` prints a MigrationError as one line; wrapped in PostgresNIO's PostgresTransactionError
    // it would print as a struct dump.
    @Test("an edited applied migration is refused with a MigrationError the operator can read")
    func editedFileRefusedWithMigrationError() async throws {
        try await TestDatabase.with { database in
            let first = try #require(embedded.first)
            let edited = try Migration(name: first.name, sql: first.sql + "\n-- edited afterwards\n")
            let runner = MigrationRunner(migrations: [edited] + embedded.dropFirst())
            let error = await #expect(throws: MigrationError.self) {
                try await runner.migrate(client: database.client, logger: database.logger)
            }
            #expect(error?.description.contains(first.name) == true)
        }
    }

    // DatabaseErrorMessage.describe recognizes only a bare PSQLError, not one wrapped by the transaction.
    @Test("a failing migration statement is reported with the database's own message")
    func failingMigrationMessage() async throws {
        try await TestDatabase.with { database in
            let bad = try Migration(name: "9005_bad.sql", sql: "SELECT broken syntax here;")
            let error = await #expect(throws: PSQLError.self) {
                try await MigrationRunner(migrations: embedded + [bad]).migrate(
                    client: database.client, logger: database.logger)
            }
            let url = try DatabaseURL("postgres://tessera@127.0.0.1:5432/tessera")
            let message = error.map { DatabaseErrorMessage.describe($0, url: url) }
            #expect(message?.contains("syntax error at or near \"here\"") == true)
        }
    }

    @Test("two runs at once on a fresh database both succeed and apply each migration once")
    func concurrentRuns() async throws {
        try await TestDatabase.with(migrated: false) { database in
            let runner = MigrationRunner(migrations: embedded)
            let other = database.makeClient()
            let (first, second) = try await other.running {
                async let first = runner.migrate(client: database.client, logger: database.logger)
                async let second = runner.migrate(client: other, logger: database.logger)
                return try await (first, second)
            }
            #expect(first.count + second.count == embedded.count)
            #expect(first.isEmpty || second.isEmpty)
            #expect(try await Self.records(database).map(\.version) == embedded.map(\.version))
        }
    }

    @Test("a migration with a function body, quoted semicolons and comments applies as written")
    func scriptWithTrickyStatements() async throws {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE notes (body text NOT NULL DEFAULT 'a;b', "odd;name" int);
            /* a block comment; also with one */
            CREATE FUNCTION shout(t text) RETURNS text LANGUAGE plpgsql AS $$
            BEGIN
                RETURN upper(t) || ';';
            END;
            $$;
            CREATE FUNCTION whisper(t text) RETURNS text LANGUAGE sql AS $body$ SELECT lower(t) || ';' $body$;
            INSERT INTO notes (body) VALUES ('it''s; fine');
            """
        try await TestDatabase.with(migrated: false) { database in
            let migration = try Migration(name: "0001_tricky.sql", sql: sql)
            try await MigrationRunner(migrations: [migration]).migrate(client: database.client, logger: database.logger)
            let rows = try await database.client.rows(
                "SELECT shout('x'), whisper('Y'), (SELECT body FROM notes)", as: (String, String, String).self)
            #expect(rows.first?.0 == "X;")
            #expect(rows.first?.1 == "y;")
            #expect(rows.first?.2 == "it's; fine")
        }
    }

    // MARK: Reading the database

    struct Record {
        let version: Int
        let name: String
        let checksum: String
        let appliedAt: Date
    }

    static func records(_ database: TestDatabase) async throws -> [Record] {
        try await database.client.rows(
            "SELECT version, name, checksum, applied_at FROM tessera_schema_migrations ORDER BY version",
            as: (Int, String, String, Date).self
        ).map { Record(version: $0.0, name: $0.1, checksum: $0.2, appliedAt: $0.3) }
    }

    static func tableExists(_ table: String, _ database: TestDatabase) async throws -> Bool {
        try await database.client.rows("SELECT to_regclass(\(table)) IS NOT NULL", as: Bool.self).first == true
    }
}
