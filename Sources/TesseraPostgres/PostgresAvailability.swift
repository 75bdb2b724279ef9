import NIOCore
import NIOPosix
import PostgresNIO
import TesseraCore

/// Runs a database operation with a deadline, and turns "the database cannot be reached" into
/// `StoreUnavailableError`, which the token endpoint answers with 503 and `Retry-After`.
///
/// PostgresNIO's pool keeps retrying a lost server by itself, so once the database is back, requests
/// succeed again with no restart.
public enum PostgresAvailability {
    public static let defaultDeadline: Duration = .seconds(3)

    public static func run<Result: Sendable>(
        deadline: Duration = defaultDeadline,
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw StoreUnavailableError("no answer from the database within \(deadline)")
                }
                return result
            }
        } catch let error as PSQLError {
            guard isUnavailable(error) else { throw error }
            throw StoreUnavailableError("database unavailable: \(error.code)")
        } catch let error as StoreUnavailableError {
            throw error
        } catch let error as CorruptRowError {
            throw error
        } catch {
            // Anything else is the pool's: its circuit breaker after a long outage, a shutdown, a cancelled lease.
            throw StoreUnavailableError("database unavailable: \(error)")
        }
    }

    /// Sleeps on an event loop's timer, not `Task.sleep`: with SwiftNIO's event loops as the concurrency executor
    /// (as `serve` runs), `Task.sleep` falls back to Dispatch, which armed a timer, and woke a thread of its own
    /// when the cancelled timer fired, for every batch: 5% of the server's CPU at a fixed 5,000 tokens/s.
    static func sleep(for duration: Duration) async throws {
        let (seconds, attoseconds) = duration.components
        let timeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        let timer = loop.scheduleTask(in: timeout) {}
        try await withTaskCancellationHandler {
            try await timer.futureResult.get()
        } onCancel: {
            timer.cancel()
        }
    }

    /// Connection trouble, or a server that is starting, stopping or out of resources.
    static func isUnavailable(_ error: PSQLError) -> Bool {
        guard error.code == .server else { return true }
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
    }
}
