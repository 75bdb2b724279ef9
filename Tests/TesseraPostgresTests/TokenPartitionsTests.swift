import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// Migration 0004's partitions: made on demand (a day near, a month far), made ahead, and dropped whole by purge.
@Suite("Token partitions and purge", .timeLimit(.minutes(3)))
struct TokenPartitionsTests {
    static func token(expiresIn seconds: TimeInterval, tenantID: Tenant.ID = 1) -> (String, IssuedToken) {
        let now = Date()
        let expiresAt = now.addingTimeInterval(seconds)
        let token = TokenReference.generate(.access, expiresAt: expiresAt)
        return (
            token,
            IssuedToken(
                hash: TokenHash(of: token), tenantID: tenantID, applicationID: 1, subject: "client",
                scopes: ScopeSet(["default"]), grantType: "client_credentials", issuedAt: now.addingTimeInterval(-1),
                expiresAt: expiresAt)
        )
    }

    static func partitions(_ database: TestDatabase) async throws -> [String] {
        try await database.client.rows(
            "SELECT partition FROM token_partitions WHERE parent = 'access_tokens' ORDER BY partition", as: String.self)
    }

    static func dayName(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd"
        return formatter.string(from: date)
    }

    @Test("a token makes the partition it needs: its own day when near, a month from day 32 on")
    func onDemand() async throws {
        try await TestDatabase.with { database in
            try await database.withTokenStore { store in
                #expect(try await Self.partitions(database).isEmpty)
                try await store.store(Self.token(expiresIn: 3600 * 30).1)
                let near = Date().addingTimeInterval(3600 * 30)
                #expect(try await Self.partitions(database) == ["access_tokens_d" + Self.dayName(near)])

                try await store.store(Self.token(expiresIn: 86_400 * 90).1)
                try await store.store(Self.token(expiresIn: 86_400 * 90 + 60).1)
                let far = try await Self.partitions(database).filter { $0.hasPrefix("access_tokens_m") }
                #expect(far.count == 1, "tokens a month or more away share a partition: \(far)")
                #expect(try await database.count("access_tokens") == 3)
            }
        }
    }

    @Test("partitions are made ahead for today and the next two days, once")
    func prepareAhead() async throws {
        try await TestDatabase.with { database in
            let partitions = TokenPartitions(client: database.client, logger: database.logger)
            #expect(try await partitions.prepare() == 6, "three days of access and refresh token partitions")
            #expect(try await partitions.prepare() == 0)
            async let first = partitions.prepare(days: 5)
            async let second = partitions.prepare(days: 5)
            _ = try await (first, second)
            #expect(try await Self.partitions(database).count == 6, "racing preparations make each partition once")
        }
    }

    @Test("partitions are made without routine autovacuum (migration 0006), on demand and ahead")
    func withoutAutovacuum() async throws {
        try await TestDatabase.with { database in
            try await TokenPartitions(client: database.client, logger: database.logger).prepare()
            let (_, far) = Self.token(expiresIn: 90 * 86_400)
            try await database.store(far)
            let options = try await database.client.rows(
                """
                SELECT p.partition || ' ' || coalesce(array_to_string(c.reloptions, ','), '')
                FROM token_partitions p JOIN pg_class c ON c.oid = p.partition::regclass ORDER BY 1
                """, as: String.self)
            #expect(options.count == 7, "six made ahead and a month for the far token: \(options)")
            #expect(options.allSatisfy { $0.hasSuffix(" autovacuum_enabled=false") }, "\(options)")
        }
    }

    @Test("purge drops partitions whose range has passed, with their tokens, and keeps live ones")
    func purge() async throws {
        try await TestDatabase.with { database in
            try await database.withTokenStore { store in
                for _ in 0..<50 { try await store.store(Self.token(expiresIn: -86_400 * 2).1) }
                let (live, liveToken) = Self.token(expiresIn: 3600)
                try await store.store(liveToken)
                #expect(try await database.count("access_tokens") == 51)
                try await database.client.query(
                    """
                    INSERT INTO token_families (tenant_id, application_id, user_id, created_at, expires_at)
                    VALUES (1, 1, NULL, now() - interval '30 days', now() - interval '1 day'),
                           (1, 1, NULL, now(), now() + interval '14 days')
                    """)

                let report = try await TokenPartitions(client: database.client, logger: database.logger).purge()
                let expiredDay = Self.dayName(Date().addingTimeInterval(-86_400 * 2))
                #expect(report.droppedPartitions == ["access_tokens_d" + expiredDay])
                #expect(report.deletedFamilies == 1)
                #expect(try await database.count("access_tokens") == 1)
                #expect(try await database.count("token_families") == 1)
                let remaining = try await database.client.rows(
                    "SELECT count(*) FROM access_tokens WHERE token_hash = sha256(convert_to(\(live), 'UTF8'))",
                    as: Int64.self)
                #expect(remaining == [1])
                #expect(!(try await Self.partitions(database)).contains("access_tokens_d" + expiredDay))
                let again = try await TokenPartitions(client: database.client, logger: database.logger).purge()
                #expect(again.droppedPartitions.isEmpty)
            }
        }
    }
}
