import Foundation
import Logging
import PostgresNIO
import TesseraCore

/// The record of administrative changes (migration 0012): each change commits in one transaction with its event,
/// so that no change is made without a trace; a refused change is recorded after its rollback.
///
/// Refusals are the operator-facing ones (`AdministrationError`: an unknown application, a name taken). A change
/// that failed for another reason (the database went away) wrote nothing, and nothing is recorded of it.
public struct AuditTrail: Sendable {
    /// Who acts: "cli" for the command line; an admin API client's consumer key later.
    public let actor: String
    private let client: any DatabaseClient
    private let logger: Logger

    public init(actor: String, client: any DatabaseClient, logger: Logger) {
        self.actor = actor
        self.client = client
        self.logger = logger
    }

    /// Runs `change` in a transaction, records it there as "ok", and returns once both have committed (with the
    /// commit barrier of `CommittedWrite`).
    func record<Result: Sendable>(
        _ operation: String, tenantID: Tenant.ID, target: String,
        outcome: @escaping @Sendable (Result) -> String = { _ in "ok" },
        _ change: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await recordingRefusal(operation, tenantID: tenantID, target: target) {
            try await client.current.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await change(connection)
                    try await connection.query(
                        insert(tenantID, operation, target: target, outcome: outcome(result)), logger: logger)
                    _ = try await connection.committed("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Runs `change`, which records its own success; a refusal it throws is recorded here, then rethrown.
    func recordingRefusal<Result>(
        _ operation: String, tenantID: Tenant.ID, target: String, _ change: () async throws -> Result
    ) async throws -> Result {
        do {
            return try await change()
        } catch let refusal as AdministrationError {
            await recordRefusal(refusal, operation, tenantID: tenantID, target: target)
            throw refusal
        }
    }

    /// A refused change, recorded on its own: the change wrote nothing. Best effort: the refusal reaches the
    /// operator whether or not it could be recorded.
    func recordRefusal(_ refusal: AdministrationError, _ operation: String, tenantID: Tenant.ID, target: String) async {
        do {
            _ = try await client.committed(
                insert(tenantID, operation, target: target, outcome: "refused: \(refusal.description)"),
                logger: logger)
        } catch {
            logger.warning(
                "could not record a refused change in the audit trail",
                metadata: ["operation": "\(operation)", "error": "\(error)"])
        }
    }

    func insert(_ tenantID: Tenant.ID, _ operation: String, target: String, outcome: String) -> PostgresQuery {
        """
        INSERT INTO audit_events (tenant_id, actor, operation, target, outcome)
        VALUES (\(tenantID), \(actor), \(operation), \(Self.storable(target)), \(Self.storable(outcome)))
        """
    }

    /// Text as the table takes it: at most 600 code points (what PostgreSQL's `length` counts), control characters
    /// (a NUL, which text cannot hold) as `?`. Targets of refusals are raw input, a consumer key no one has, say.
    static func storable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(600) {
            scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return String(scalars)
    }

    /// The tenant's events since `since`, oldest first; the latest `limit` of them.
    public func events(tenantID: Tenant.ID, domain: String, since: Date?, limit: Int) async throws -> [AuditEvent] {
        let rows = try await client.current.query(
            """
            SELECT at, actor, operation, target, outcome FROM audit_events
            WHERE tenant_id = \(tenantID) AND at >= COALESCE(\(since)::timestamptz, '-infinity')
            ORDER BY event_id DESC LIMIT \(limit)
            """, logger: logger)
        var events: [AuditEvent] = []
        for try await (at, actor, operation, target, outcome) in rows.decode(
            (Date, String, String, String, String).self)
        {
            events.append(
                AuditEvent(
                    at: at, tenant: domain, actor: actor, operation: operation, target: target, outcome: outcome))
        }
        return events.reversed()
    }
}

/// One administrative change as the audit trail holds it.
public struct AuditEvent: Sendable, Encodable, Equatable {
    public let at: Date
    public let tenant: String
    public let actor: String
    public let operation: String
    public let target: String
    public let outcome: String
}
