import PostgresNIO
import TesseraCore
import TesseraPostgres
import Testing

/// A change and its audit event commit together (migration 0012, `AuditTrail`).
@Suite("Audit trail", .timeLimit(.minutes(2)))
struct AuditTrailTests {
    @Test("a change whose event cannot be written is not made; a refusal leaves only its event")
    func changeAndEventTogether() async throws {
        try await TestDatabase.with { database in
            let registered = try await database.register(scopes: "default read")
            let key = registered.application.consumerKey
            // The event of a scope change fails as a full disk or a lost connection would.
            try await database.client.query(
                """
                CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'no room for the event'; END $$
                """, logger: database.logger)
            try await database.client.query(
                """
                CREATE TRIGGER refuse_scope_events BEFORE INSERT ON audit_events FOR EACH ROW
                WHEN (NEW.operation = 'app.set-scopes') EXECUTE FUNCTION refuse_event()
                """, logger: database.logger)
            await #expect(throws: (any Error).self) {
                _ = try await database.administration.setScopes(
                    tenant: "acme.example", consumerKey: key, allowed: ScopeSet(["default", "admin"]),
                    defaults: ScopeSet(["default"]))
            }
            let scopes = try await database.administration.application(tenant: "acme.example", consumerKey: key).scopes
            #expect(scopes == ["default", "read"], "the change rolled back with its event")

            await #expect(throws: AdministrationError.self) {
                try await database.administration.setApplication(
                    tenant: "acme.example", consumerKey: "nosuchkey", enabled: false)
            }
            let tenantID = try await database.administration.tenantID("acme.example")
            let events = try await AuditTrail(actor: "cli", client: database.client, logger: database.logger).events(
                tenantID: tenantID, domain: "acme.example", since: nil, limit: 10)
            #expect(events.map(\.operation) == ["tenant.create", "app.create", "app.disable"], "\(events)")
            #expect(events.last?.outcome.hasPrefix("refused: no application with consumer key nosuchkey") == true)
            #expect(try await database.count("applications") == 1)

            // A refusal's target is raw input: 700 combining marks are 1 Character but 701 code points, over the
            // table's 600; it is recorded cut to 600 code points, not lost.
            let strange = "n" + String(repeating: "\u{301}", count: 700)
            await #expect(throws: AdministrationError.self) {
                try await database.administration.setApplication(
                    tenant: "acme.example", consumerKey: strange, enabled: false)
            }
            let later = try await AuditTrail(actor: "cli", client: database.client, logger: database.logger).events(
                tenantID: tenantID, domain: "acme.example", since: nil, limit: 10)
            #expect(later.count == 4 && later.last?.target.unicodeScalars.count == 600, "\(later.count)")
        }
    }
}
