import CoreMetrics
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TesseraCore

/// Stores access tokens with group commit: tokens from concurrent requests are written together, one
/// multi-row INSERT and one commit per batch, and each request returns only after its batch committed.
///
/// There is no timer: a writer that becomes free takes everything pending (up to `maximumBatch`), so a lone
/// request is written at once, and under load the batches grow while the previous commit is in flight. A
/// full queue refuses new tokens (503) instead of growing without bound.
public final class GroupCommitTokenStore: TokenStore, Service {
    private struct Pending {
        let token: IssuedToken
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Queue {
        var pending: [Pending] = []
        var idleWriters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let client: PostgresClient
    private let writers: Int
    private let maximumBatch: Int
    private let maximumQueue: Int
    private let logger: Logger
    private let queue = Mutex(Queue())
    /// Tokens per committed batch (`tessera_token_write_batch_size`): near 1 when idle, growing under load.
    private let batchSizes: Recorder

    /// - Parameters:
    ///   - writers: batches in flight at once, each on its own connection.
    ///   - maximumBatch: tokens in one INSERT.
    ///   - maximumQueue: tokens waiting for a writer before new ones are refused.
    ///   - metrics: where the batch size histogram goes; nowhere by default.
    public init(
        client: PostgresClient, writers: Int = 4, maximumBatch: Int = 512, maximumQueue: Int = 20_000, logger: Logger,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.client = client
        self.writers = max(1, writers)
        self.maximumBatch = max(1, maximumBatch)
        self.maximumQueue = maximumQueue
        self.logger = logger
        self.batchSizes = Recorder(label: "tessera_token_write_batch_size", aggregate: true, factory: metrics)
    }

    public func store(_ token: IssuedToken) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (accepted, writer) = queue.withLock { queue -> (Bool, CheckedContinuation<Void, Never>?) in
                guard !queue.closed, queue.pending.count < maximumQueue else { return (false, nil) }
                queue.pending.append(Pending(token: token, continuation: continuation))
                return (true, queue.idleWriters.popLast())
            }
            guard accepted else {
                continuation.resume(throwing: StoreUnavailableError("the token write queue is full or closed"))
                return
            }
            writer?.resume()
        }
    }

    /// A new refresh family is rare next to plain tokens (one per sign-in), so it skips the batch: one statement.
    public func store(_ token: IssuedToken, startingFamilyWith refreshToken: IssuedRefreshToken) async throws {
        try await InsertTokenFamily.run(client, accessToken: token, refreshToken: refreshToken)
    }

    /// Runs the writers until graceful shutdown; tokens already queued are still written.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for _ in 0..<writers {
                group.addTask { await self.writeBatches() }
            }
            group.addTask {
                try? await gracefulShutdown()
                self.close()
            }
        }
    }

    private func close() {
        let idle = queue.withLock { queue in
            queue.closed = true
            defer { queue.idleWriters.removeAll() }
            return queue.idleWriters
        }
        for writer in idle { writer.resume() }
    }

    private func writeBatches() async {
        while let batch = await nextBatch() {
            do {
                try await write(batch.map(\.token))
                batchSizes.record(batch.count)
                for item in batch { item.continuation.resume() }
            } catch {
                logger.warning("token batch not written", metadata: ["tokens": "\(batch.count)", "error": "\(error)"])
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }

    /// The next batch, waiting while there is none; nil once closed and drained.
    private func nextBatch() async -> [Pending]? {
        while true {
            enum Next { case batch([Pending]), finished, wait }
            let next: Next = queue.withLock { queue in
                if !queue.pending.isEmpty {
                    let count = min(queue.pending.count, maximumBatch)
                    let batch = Array(queue.pending.prefix(count))
                    queue.pending.removeFirst(count)
                    return .batch(batch)
                }
                return queue.closed ? .finished : .wait
            }
            switch next {
            case .batch(let batch): return batch
            case .finished: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = queue.withLock { queue in
                        if !queue.pending.isEmpty || queue.closed { return true }
                        queue.idleWriters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    private func write(_ tokens: [IssuedToken]) async throws {
        let statement = InsertAccessTokens(tokens: tokens)
        try await TokenPartitions.run(client, creating: "access_tokens", for: tokens.map(\.expiresAt)) { [client] in
            for try await _ in try await client.execute(statement) {}
        }
    }
}
