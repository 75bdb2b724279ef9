import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TesseraCore

/// The token endpoint's answers per application and UTC day, counted in memory and added to `token_days` every
/// `interval` and once more at shutdown. Counting costs the request path one lock and a dictionary update; the
/// database sees one statement per interval, not one per token (a daily row updated by every token batch would
/// make concurrent batches wait on its lock). A crash loses the counts of the last interval, never a token.
public final class DailyTokenCounts: TokenActivity, Service {
    struct Key: Hashable {
        let tenantID: Tenant.ID
        let applicationID: ClientApplication.ID
        /// Days since 1970-01-01, UTC.
        let day: Int
    }

    struct Counts {
        var issued = 0
        var failed = 0
    }

    private let pending = Mutex([Key: Counts]())
    private let client: any DatabaseClient
    private let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// Pending counts kept at most: beyond it (a database away for long, with millions of applications) new keys are
    /// dropped and logged, so memory stays bounded.
    static let maximumPendingKeys = 100_000

    public init(
        client: any DatabaseClient, interval: Duration = .seconds(10), logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.client = client
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func issued(to application: ClientApplication) { add(application, issued: 1, failed: 0) }

    public func refused(_ application: ClientApplication) { add(application, issued: 0, failed: 1) }

    private func add(_ application: ClientApplication, issued: Int, failed: Int) {
        let key = Key(
            tenantID: application.tenantID, applicationID: application.id,
            day: Int((now().timeIntervalSince1970 / 86_400).rounded(.down)))
        pending.withLock { counts in
            if counts[key] == nil, counts.count >= Self.maximumPendingKeys { return }
            counts[key, default: Counts()].issued += issued
            counts[key, default: Counts()].failed += failed
        }
    }

    public func run() async throws {
        await Periodic.run(every: interval) {
            try await flush()
        } failed: { error in
            logger.notice(
                "token counts were not written; they are kept for the next round", metadata: ["error": "\(error)"])
        }
        // The last counts, after the listeners stopped answering.
        do {
            try await flush()
        } catch {
            logger.notice("the last token counts were not written", metadata: ["error": "\(error)"])
        }
    }

    /// Adds the pending counts to `token_days` in one statement; on failure they go back to be added next time.
    public func flush() async throws {
        let taken = pending.withLock { counts in
            defer { counts.removeAll(keepingCapacity: true) }
            return counts
        }
        guard !taken.isEmpty else { return }
        let entries = Array(taken)
        let (tenants, applications, days) = (
            entries.map(\.key.tenantID), entries.map(\.key.applicationID), entries.map(\.key.day)
        )
        let (issued, failed) = (entries.map(\.value.issued), entries.map(\.value.failed))
        do {
            try await PostgresAvailability.run(deadline: .seconds(10)) { [client, logger] in
                _ = try await client.current.query(
                    """
                    INSERT INTO token_days (tenant_id, application_id, day, issued, failed)
                    SELECT c.tenant_id, c.application_id, date '1970-01-01' + c.day, c.issued, c.failed
                    FROM unnest(\(tenants)::bigint[], \(applications)::bigint[], \(days)::bigint[]::int[],
                                \(issued)::bigint[], \(failed)::bigint[])
                         AS c (tenant_id, application_id, day, issued, failed)
                    -- An application deleted since its request was counted has no row to count for.
                    WHERE EXISTS (SELECT 1 FROM applications a
                                  WHERE a.tenant_id = c.tenant_id AND a.application_id = c.application_id)
                    ON CONFLICT (tenant_id, application_id, day) DO UPDATE
                    SET issued = token_days.issued + excluded.issued, failed = token_days.failed + excluded.failed
                    """, logger: logger
                ).collect()
            }
        } catch {
            pending.withLock { counts in
                for (key, value) in taken where counts[key] != nil || counts.count < Self.maximumPendingKeys {
                    counts[key, default: Counts()].issued += value.issued
                    counts[key, default: Counts()].failed += value.failed
                }
            }
            throw error
        }
    }
}
