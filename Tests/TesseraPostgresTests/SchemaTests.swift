import PostgresNIO
import Testing

/// DESIGN.md: every primary key starts with `tenant_id`, every foreign key includes it, so that tables can be
/// distributed by tenant and no query can join across tenants.
@Suite("Schema rules", .timeLimit(.minutes(3)))
struct SchemaTests {
    @Test("the primary key starts with tenant_id", arguments: ["tenants", "applications", "access_tokens"])
    func primaryKeyStartsWithTenant(_ table: String) async throws {
        try await TestDatabase.with { database async throws in
            #expect(try await Self.primaryKeyColumns(table, database).first == "tenant_id")
        }
    }

    @Test("every table but the migration record has a primary key that starts with tenant_id")
    func everyTable() async throws {
        try await TestDatabase.with { database in
            let tables = try await database.client.rows(
                """
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'tessera_schema_migrations'
                ORDER BY c.relname
                """, as: String.self)
            #expect(Set(tables).isSuperset(of: ["tenants", "applications", "access_tokens"]))
            for table in tables {
                #expect(try await Self.primaryKeyColumns(table, database).first == "tenant_id", "table \(table)")
            }
        }
    }

    @Test("every foreign key includes tenant_id on both sides")
    func foreignKeysIncludeTenant() async throws {
        try await TestDatabase.with { database in
            let keys = try await database.client.rows(
                """
                SELECT con.conname,
                    EXISTS (SELECT 1 FROM unnest(con.conkey) k JOIN pg_attribute a
                            ON a.attrelid = con.conrelid AND a.attnum = k WHERE a.attname = 'tenant_id'),
                    EXISTS (SELECT 1 FROM unnest(con.confkey) k JOIN pg_attribute a
                            ON a.attrelid = con.confrelid AND a.attnum = k WHERE a.attname = 'tenant_id')
                FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
                WHERE con.contype = 'f' AND n.nspname = 'public'
                """, as: (String, Bool, Bool).self)
            #expect(!keys.isEmpty)
            for (name, referencing, referenced) in keys {
                #expect(referencing && referenced, "foreign key \(name)")
            }
        }
    }

    @Test("a token hash that is not 32 bytes is refused by the table")
    func tokenHashLength() async throws {
        try await TestDatabase.with { database in
            await #expect(throws: PSQLError.self) {
                try await database.client.query(
                    """
                    INSERT INTO access_tokens
                        (tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at)
                    VALUES (1, '\\x00'::bytea, 1, 's', '{}', 'client_credentials', now(), now())
                    """)
            }
        }
    }

    /// The primary key's columns in key order.
    static func primaryKeyColumns(_ table: String, _ database: TestDatabase) async throws -> [String] {
        try await database.client.rows(
            """
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = to_regclass(\(table)) AND i.indisprimary
            ORDER BY k.position
            """, as: String.self)
    }
}
