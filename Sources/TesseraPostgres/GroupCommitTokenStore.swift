import CoreMetrics
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCore

/// Stores access tokens with group commit: tokens from concurrent requests are written together, one
/// multi-row INSERT and one commit per batch, and each request returns only after its batch committed.
///
/// There is no timer: a writer that becomes free takes everything pending (up to `maximumBatch`), so a lone
/// request is written at once, and under load the batches grow while the previous commit is in flight
/// (`BatchRunner`). A full queue refuses new tokens (503) instead of growing without bound.
public final class GroupCommitTokenStore: TokenStore, Service {
    private let client: any DatabaseClient
    private let batches: BatchRunner<IssuedToken, Void, PostgresConnection>

    /// - Parameters:
    ///   - writers: most batches in flight at once, each on its own connection (see `BatchRunner`).
    ///   - maximumBatch: tokens in one INSERT.
    ///   - maximumQueue: tokens waiting for a writer before new ones are refused.
    ///   - metrics: where the batch size histogram goes; nowhere by default.
    public init(
        client: any DatabaseClient, writers: Int = 4, maximumBatch: Int = 512, maximumQueue: Int = 20_000,
        logger: Logger,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.client = client
        // Tokens per committed batch (`tessera_token_write_batch_size`): near 1 when idle, growing under load.
        let batchSizes = Recorder(label: "tessera_token_write_batch_size", aggregate: true, factory: metrics)
        self.batches = BatchRunner(
            workers: writers, maximumBatch: maximumBatch, maximumQueue: maximumQueue, work: "token_writes",
            metrics: metrics, open: { try await PostgresAvailability.withConnection(client, $0) }
        ) {
            tokens, connection in
            do {
                let statement = InsertAccessTokens(tokens: tokens)
                try await TokenPartitions.run(
                    on: connection, logger: logger, creating: "access_tokens", for: tokens.map(\.expiresAt)
                ) {
                    _ = try await connection.committed(statement, logger: logger)
                }
                batchSizes.record(tokens.count)
                return Array(repeating: (), count: tokens.count)
            } catch {
                logger.warning(
                    "token batch not written",
                    metadata: ["tokens": "\(tokens.count)", "error": "\(DatabaseErrorMessage.reason(error))"])
                throw error
            }
        }
    }

    public func store(_ token: IssuedToken) async throws {
        try await batches.submit(token)
    }

    /// A new refresh family is rare next to plain tokens (one per sign-in), so it skips the batch: one statement.
    public func store(_ token: IssuedToken, startingFamilyWith refreshToken: IssuedRefreshToken) async throws {
        try await InsertTokenFamily.run(client, accessToken: token, refreshToken: refreshToken)
    }

    /// Runs the writers until graceful shutdown; tokens already queued are still written.
    /// Whether a batch has been held longer than `limit` with none ending, past every deadline it has.
    public func isStalled(longerThan limit: Duration) -> Bool {
        batches.isStalled(longerThan: limit)
    }

    public func run() async throws {
        await batches.run()
    }
}
