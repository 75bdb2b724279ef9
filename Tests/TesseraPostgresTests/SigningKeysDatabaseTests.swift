import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import TesseraTesting
import Testing

/// Signing keys on PostgreSQL (issue 13), with a clock the test moves: the schedule rotates a key so that its
/// successor signs on the day, once however often it runs, and deletes a key once its last token has expired; a
/// copy of the database read with another server key cannot sign.
@Suite("Signing keys on PostgreSQL", .timeLimit(.minutes(3)))
struct SigningKeysDatabaseTests {
    static let day: TimeInterval = 86_400

    @Test(
        "the schedule rotates once when due, the successor signs at the period, the old key goes when its tokens have")
    func schedule() async throws {
        try await TestDatabase.with { database in
            let domain = "keys-\(UInt32.random(in: 0...UInt32.max)).test"
            _ = try await database.administration.createTenant(domain: domain)
            var settings = try TestDatabase.settings(name: "jwt")
            settings.tokens = try TokenAudience(format: .jwt, resources: [])
            _ = try await database.administration.createApplication(tenant: domain, settings: settings)
            let tenantID = try await database.administration.tenantID(domain)
            let serverKey = ServerKey(base64: ServerKey.generateKey())!
            let keys = PostgresSigningKeys(client: database.client, serverKey: serverKey, logger: database.logger)
            let clock = TestClock()
            let schedule = SigningKeySchedule(
                keys: keys, rotationPeriod: 30 * Self.day, logger: database.logger, now: { clock.now })
            let start = clock.now
            func move(to moment: Date) { clock.advance(by: moment.timeIntervalSince(clock.now)) }

            let first = try await keys.makeFirstKey(of: tenantID, at: start)
            guard case .key = first.signer(at: start) else {
                Issue.record("the first key signs at once")
                return
            }
            let firstKid = try #require(first.timeline.signer(at: start)?.id)
            // Twice more at the start: nothing due, and a second first key is never made.
            try await schedule.runOnce()
            #expect(try await keys.makeFirstKey(of: tenantID, at: start).timeline.keys.count == 1)

            // Due: the successor is made so that it signs when the first key is 30 days old, not before.
            let due = start.addingTimeInterval(30 * Self.day - SigningKeyTimeline.activationDelay)
            move(to: due.addingTimeInterval(-60))
            try await schedule.runOnce()
            #expect(try await keys.keys(of: tenantID).timeline.keys.count == 1)
            move(to: due)
            try await schedule.runOnce()
            try await schedule.runOnce()
            let rotated = try await keys.keys(of: tenantID).timeline
            #expect(rotated.keys.count == 2, "one successor, however often the schedule runs")
            let successor = try #require(rotated.keys.first { $0.id != firstKid })
            #expect(successor.algorithm == .es256)
            #expect(abs(successor.activatesAt.timeIntervalSince(start.addingTimeInterval(30 * Self.day))) < 1)
            #expect(rotated.signer(at: successor.activatesAt.addingTimeInterval(-1))?.id == firstKid)
            #expect(rotated.signer(at: successor.activatesAt)?.id == successor.id)

            // The first key stays published while a token it signed may live (the application's longest validity,
            // 86400 s by default, plus the key set's max-age), then the schedule deletes it.
            let gone = successor.activatesAt.addingTimeInterval(
                Double(settings.maxTokenValidity) + Double(SigningKeyTimeline.keySetMaxAge))
            move(to: gone.addingTimeInterval(-1))
            try await schedule.runOnce()
            #expect(try await keys.keys(of: tenantID).timeline.keys.count == 2)
            move(to: gone)
            try await schedule.runOnce()
            #expect(try await keys.keys(of: tenantID).timeline.keys.map(\.id) == [successor.id])
        }
    }

    @Test("a tenant's first key signs at the very moment it was made for, whatever fraction of a microsecond that is")
    func firstKeyAtOnce() async throws {
        try await TestDatabase.with { database in
            let keys = PostgresSigningKeys(
                client: database.client, serverKey: ServerKey(base64: ServerKey.generateKey())!,
                logger: database.logger)
            // PostgreSQL keeps microseconds, and a Date read back from them lands a little past the one written about
            // once in 400 times: moments like that, found with PostgresNIO's own codec.
            var moments: [Date] = []
            var candidate = Date()
            while moments.count < 3 {
                candidate.addTimeInterval(Double.random(in: 0.000_001...0.001))
                if Self.roundTrip(candidate) > candidate { moments.append(candidate) }
            }
            for (index, moment) in moments.enumerated() {
                let domain = "first-\(index)-\(UInt32.random(in: 0...UInt32.max)).test"
                _ = try await database.administration.createTenant(domain: domain)
                let tenantID = try await database.administration.tenantID(domain)
                let made = try await keys.makeFirstKey(of: tenantID, at: moment)
                guard case .key = made.signer(at: moment) else {
                    Issue.record("no signer at the moment the first key was made for (\(moment.timeIntervalSince1970))")
                    continue
                }
            }
        }
    }

    /// A date as it comes back from a timestamptz column.
    static func roundTrip(_ date: Date) -> Date {
        var buffer = ByteBuffer()
        date.encode(into: &buffer, context: .default)
        return (try? Date(from: &buffer, type: .timestamptz, format: .binary, context: .default)) ?? date
    }

    @Test("a copy of the database cannot sign: no private member in clear, and another server key opens nothing")
    func sealed() async throws {
        try await TestDatabase.with { database in
            let domain = "sealed-\(UInt32.random(in: 0...UInt32.max)).test"
            _ = try await database.administration.createTenant(domain: domain)
            let tenantID = try await database.administration.tenantID(domain)
            let keys = PostgresSigningKeys(
                client: database.client, serverKey: ServerKey(base64: ServerKey.generateKey())!,
                logger: database.logger)
            // One key of each algorithm, each rotated in once the one before has activated.
            var now = Date()
            for algorithm in SigningAlgorithm.allCases {
                _ = try await keys.rotate(tenantID, algorithm: algorithm, at: now)
                now.addTimeInterval(SigningKeyTimeline.activationDelay)
            }
            guard case .key = try await keys.keys(of: tenantID).signer(at: now) else {
                Issue.record("the server key that sealed them opens them")
                return
            }
            let rows = try await database.client.query(
                "SELECT public_jwk, sealed_private_key FROM signing_keys WHERE tenant_id = \(tenantID)",
                logger: database.logger)
            var count = 0
            for try await (jwk, sealed) in rows.decode((String, ByteBuffer).self) {
                count += 1
                #expect(!jwk.contains("\"d\"") && !jwk.contains("\"p\""), "a public JWK only")
                #expect(sealed.readableBytes > 28, "AES-GCM nonce and tag around the key")
            }
            #expect(count == 3)
            let copy = PostgresSigningKeys(
                client: database.client, serverKey: ServerKey(base64: ServerKey.generateKey())!,
                logger: database.logger)
            let seenByCopy = try await copy.keys(of: tenantID)
            #expect(seenByCopy.timeline.keys.count == 3, "the public halves are readable")
            guard case .sealedElsewhere = seenByCopy.signer(at: now) else {
                Issue.record("a server with another key must not sign")
                return
            }
        }
    }
}
