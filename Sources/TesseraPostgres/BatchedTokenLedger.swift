import CoreMetrics
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCore

/// The token ledger with access-token lookups batched: introspection requests that arrive together are
/// answered by one query (one round trip, one plan) instead of one each. Nothing is cached, so a revocation
/// still holds at once: a batch starts only after the request that waits for it arrived.
public final class BatchedTokenLedger: TokenLedger, Service {
    private let ledger: PostgresTokenLedger
    private let lookups: BatchRunner<TokenLookup, ActiveToken?, PostgresConnection>

    public init(
        client: any DatabaseClient, readers: Int = 4, maximumBatch: Int = 256, maximumQueue: Int = 20_000,
        logger: Logger = Logger(label: "tessera.token-ledger"),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.ledger = PostgresTokenLedger(client: client)
        self.lookups = BatchRunner(
            workers: readers, maximumBatch: maximumBatch, maximumQueue: maximumQueue, work: "token_lookups",
            metrics: metrics, open: { try await PostgresAvailability.withConnection(client, $0) }
        ) {
            lookups, connection in
            let statement = ActiveAccessTokens(lookups: lookups)
            return try await PostgresAvailability.run(on: connection) {
                var found = [ActiveToken?](repeating: nil, count: lookups.count)
                for try await (index, token) in try await connection.execute(statement, logger: logger) {
                    found[index] = token
                }
                return found
            }
        }
    }

    public func activeToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws
        -> ActiveToken?
    {
        guard reference.kind == .access else {
            return try await ledger.activeToken(reference, tenantID: tenantID, at: now)
        }
        return try await lookups.submit(TokenLookup(reference: reference, tenantID: tenantID, now: now))
    }

    public func revoke(
        _ reference: TokenReference, tenantID: Tenant.ID, applicationID: ClientApplication.ID, at now: Date
    ) async throws {
        try await ledger.revoke(reference, tenantID: tenantID, applicationID: applicationID, at: now)
    }

    public func refreshToken(_ reference: TokenReference, tenantID: Tenant.ID, at now: Date) async throws
        -> RefreshTokenState?
    {
        try await ledger.refreshToken(reference, tenantID: tenantID, at: now)
    }

    public func rotate(
        _ presented: TokenReference, family: RefreshTokenState.FamilyID, accessToken: IssuedToken,
        refreshToken: IssuedRefreshToken
    ) async throws -> Bool {
        try await ledger.rotate(presented, family: family, accessToken: accessToken, refreshToken: refreshToken)
    }

    public func revokeFamily(_ family: RefreshTokenState.FamilyID, tenantID: Tenant.ID, at now: Date) async throws {
        try await ledger.revokeFamily(family, tenantID: tenantID, at: now)
    }

    /// Whether a batch has been held longer than `limit` with none ending, past every deadline it has.
    public func isStalled(longerThan limit: Duration) -> Bool {
        lookups.isStalled(longerThan: limit)
    }

    public func run() async throws {
        await lookups.run()
    }
}

/// Many access-token lookups in one query: each row carries the 1-based position of its lookup. Each lookup reads
/// its token by key first (see `TokenSQL.joins` for why the order is fixed), and is judged at the time its caller
/// gave (`at now:`), as the unbatched ledger does: one clock, the caller's.
struct ActiveAccessTokens: PostgresPreparedStatement {
    static let name = "tessera.ActiveAccessTokens"
    static let sql = """
        SELECT q.i, \(TokenSQL.reportedColumns)
        FROM unnest($1::bigint[], $2::bytea[], $3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY
            AS q (tenant_id, token_hash, day, now, i)
        CROSS JOIN LATERAL (
            SELECT * FROM access_tokens t
            WHERE t.tenant_id = q.tenant_id AND t.token_hash = q.token_hash
              AND t.expires_at >= q.day AND t.expires_at < q.day + interval '1 day'
            OFFSET 0) t
        \(TokenSQL.joins)
        WHERE \(TokenSQL.active(now: "q.now"))
        """
    typealias Row = (Int, ActiveToken)
    let lookups: [TokenLookup]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(lookups.map(\.tenantID))
        bindings.append(lookups.map { ByteBuffer(bytes: $0.reference.hash.bytes) })
        bindings.append(lookups.map(\.reference.expiryDayRange.lowerBound))
        bindings.append(lookups.map(\.now))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (Int, ActiveToken) {
        let index = try row.makeRandomAccess()[0].decode(Int64.self)
        return (Int(index) - 1, try TokenSQL.activeToken(row, kind: .access, offset: 1))
    }
}
