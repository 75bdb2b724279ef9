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

    /// - Parameters:
    ///   - writers: batches in flight at once, each on its own connection.
    ///   - maximumBatch: tokens in one INSERT.
    ///   - maximumQueue: tokens waiting for a writer before new ones are refused.
    public init(
        client: PostgresClient, writers: Int = 4, maximumBatch: Int = 512, maximumQueue: Int = 20_000, logger: Logger
    ) {
        self.client = client
        self.writers = max(1, writers)
        self.maximumBatch = max(1, maximumBatch)
        self.maximumQueue = maximumQueue
        self.logger = logger
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
        try await PostgresAvailability.run { [client] in
            for try await _ in try await client.execute(statement) {}
        }
    }
}

/// One INSERT for a whole batch: each column travels as one array parameter, so the statement stays
/// the same (and prepared) whatever the batch size.
struct InsertAccessTokens: PostgresPreparedStatement {
    /// Also records registered users (password-grant tokens) in the same statement, hence the same transaction.
    static let sql = """
        WITH batch AS (
            SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                 $7::timestamptz[], $8::timestamptz[], $9::bigint[])
                AS b (tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at,
                      user_id)
        ), stored AS (
            INSERT INTO access_tokens
                (tenant_id, token_hash, application_id, subject, scopes, grant_type, issued_at, expires_at, user_id)
            SELECT tenant_id, token_hash, application_id, subject, string_to_array(scopes, ' '), grant_type,
                   issued_at, expires_at, NULLIF(user_id, 0)
            FROM batch
        )
        INSERT INTO registered_users (tenant_id, application_id, user_id, first_token_at, last_token_at, token_count)
        SELECT tenant_id, application_id, user_id, min(issued_at), max(issued_at), count(*)
        FROM batch WHERE user_id <> 0
        GROUP BY tenant_id, application_id, user_id
        ON CONFLICT (tenant_id, application_id, user_id) DO UPDATE
        SET last_token_at = greatest(registered_users.last_token_at, excluded.last_token_at),
            token_count = registered_users.token_count + excluded.token_count
        """
    typealias Row = Void
    let tokens: [IssuedToken]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(tokens.map(\.tenantID))
        bindings.append(tokens.map { ByteBuffer(bytes: $0.hash.bytes) })
        bindings.append(tokens.map(\.applicationID))
        bindings.append(tokens.map(\.subject))
        // Scope tokens never contain a space (RFC 6749 §3.3), so a space-joined string round-trips.
        bindings.append(tokens.map(\.scopes.description))
        bindings.append(tokens.map(\.grantType.rawValue))
        bindings.append(tokens.map(\.issuedAt))
        bindings.append(tokens.map(\.expiresAt))
        // 0 stands for "no user": identities start at 1, and arrays of optionals do not bind.
        bindings.append(tokens.map { $0.userID ?? 0 })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
