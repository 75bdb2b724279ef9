import Foundation
import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// Introspection lookups batched into one query must still answer each request about its own token.
@Suite("Batched token lookups", .timeLimit(.minutes(3)))
struct BatchedTokenLedgerTests {
    @Test("concurrent lookups of known, unknown, revoked and other tenants' tokens each get their own answer")
    func eachLookupItsOwnAnswer() async throws {
        try await TestDatabase.with { database in
            let acme = try await database.register(domain: "acme.example", application: "one")
            let globex = try await database.register(domain: "globex.example", application: "two")
            try await database.withTokenStore { store in
                let (acmeID, globexID) = (Int64(1), Int64(2))
                #expect(try await database.count("applications") == 2)
                var cases: [(token: String, tenantID: Tenant.ID, subject: String?)] = []
                for index in 0..<40 {
                    let tenantID = index.isMultiple(of: 2) ? acmeID : globexID
                    let now = Date()
                    let token = TokenReference.generate(.access, expiresAt: now.addingTimeInterval(600))
                    try await store.store(
                        IssuedToken(
                            hash: TokenHash(of: token), tenantID: tenantID, applicationID: tenantID,
                            subject: "subject-\(index)", scopes: ScopeSet(["default"]), grantType: "client_credentials",
                            issuedAt: now, expiresAt: now.addingTimeInterval(600)))
                    // Every fourth token is asked about at the other tenant, where it must not be found.
                    let askedAt = index % 4 == 1 ? (tenantID == acmeID ? globexID : acmeID) : tenantID
                    cases.append((token, askedAt, askedAt == tenantID ? "subject-\(index)" : nil))
                }
                for _ in 0..<10 {
                    cases.append(
                        (TokenReference.generate(.access, expiresAt: Date().addingTimeInterval(60)), acmeID, nil))
                }
                let revoked = cases[0]
                try await PostgresTokenLedger(client: database.client).revoke(
                    try #require(TokenReference(revoked.token)), tenantID: acmeID, applicationID: acmeID, at: Date())
                cases[0].subject = nil

                let ledger = BatchedTokenLedger(client: database.client, readers: 2, maximumBatch: 8)
                let runner = Task { try await ledger.run() }
                defer { runner.cancel() }
                let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                    for (index, item) in cases.enumerated() {
                        group.addTask {
                            let reference = try #require(TokenReference(item.token))
                            let active = try await ledger.activeToken(reference, tenantID: item.tenantID, at: Date())
                            return (index, active?.subject)
                        }
                    }
                    return try await group.reduce(into: [Int: String?]()) { $0[$1.0] = $1.1 }
                }
                for (index, item) in cases.enumerated() {
                    #expect(answers[index] == .some(item.subject), "lookup \(index)")
                }
                _ = (acme, globex)
            }
        }
    }

    @Test("each batched lookup is judged at the time its caller gave, in one batch with others at other times")
    func judgedAtTheCallersTime() async throws {
        try await TestDatabase.with { database in
            _ = try await database.register(domain: "acme.example", application: "one")
            let issuedAt = Date()
            let expiresAt = issuedAt.addingTimeInterval(600)
            let token = TokenReference.generate(.access, expiresAt: expiresAt)
            try await database.store(
                IssuedToken(
                    hash: TokenHash(of: token), tenantID: 1, applicationID: 1, subject: "client",
                    scopes: ScopeSet(["default"]), grantType: "client_credentials", issuedAt: issuedAt,
                    expiresAt: expiresAt))
            let reference = try #require(TokenReference(token))
            let ledger = BatchedTokenLedger(client: database.client, readers: 1, maximumBatch: 64)
            let runner = Task { try await ledger.run() }
            defer { runner.cancel() }
            // Before and after the expiry, asked together so that they share batches.
            let times = (0..<20).map { issuedAt.addingTimeInterval($0.isMultiple(of: 2) ? 60 : 1200) }
            let answers = try await withThrowingTaskGroup(of: (Date, Bool).self) { group in
                for time in times {
                    group.addTask { (time, try await ledger.activeToken(reference, tenantID: 1, at: time) != nil) }
                }
                return try await group.reduce(into: [(Date, Bool)]()) { $0.append($1) }
            }
            for (time, active) in answers {
                #expect(active == (time < expiresAt), "asked at +\(time.timeIntervalSince(issuedAt)) s")
            }
        }
    }
}
