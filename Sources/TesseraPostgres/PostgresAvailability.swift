import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
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
        } catch {
            throw classified(error)
        }
    }

    /// Leases one connection from `client` and runs `body` on it (a batch worker's session), waiting at most
    /// `deadline` for the connection; `body`'s own statements keep their own deadlines. Throws, and never runs
    /// `body`, when no connection came in time.
    static func withConnection(
        _ client: PostgresClient, deadline: Duration = defaultDeadline,
        _ body: @escaping @Sendable (PostgresConnection) async -> Void
    ) async throws {
        // A connection that arrives just as the deadline passes must not run `body` after the caller was told
        // it never would: whichever of the two comes first settles it.
        let lease = LeaseState()
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        if lease.settle(.started) { await body(connection) }
                    }
                    return true
                }
                group.addTask {
                    try await sleep(for: deadline)
                    return false
                }
                defer { group.cancelAll() }
                while let sessionEnded = try await group.next() {
                    if sessionEnded { return }
                    if lease.settle(.abandoned) {
                        throw StoreUnavailableError("no database connection within \(deadline)")
                    }
                }
            }
        } catch {
            // Once started, `body` ran and answered for itself; only a lease that never started is an error here.
            guard lease.stage != .started else { return }
            throw classified(error)
        }
    }

    /// The error a caller sees: "the database cannot be reached" as `StoreUnavailableError`, anything else as is.
    private static func classified(_ error: any Error) -> any Error {
        switch error {
        case let error as PSQLError:
            isUnavailable(error) ? StoreUnavailableError("database unavailable: \(error.code)") : error
        // The operation's own refusals ("no tenant x", an edited migration) answered from a reachable database.
        case is StoreUnavailableError, is CorruptRowError, is AdministrationError, is MigrationError: error
        // Anything else is the pool's: its circuit breaker after a long outage, a shutdown, a cancelled lease.
        default: StoreUnavailableError("database unavailable: \(error)")
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

/// Where a session's lease stands; see `PostgresAvailability.withConnection`.
private final class LeaseState: Sendable {
    enum Stage { case waiting, started, abandoned }
    private let state = Mutex(Stage.waiting)

    var stage: Stage { state.withLock { $0 } }

    /// Moves a waiting lease to `stage`; false if the other side (connection or deadline) settled it first.
    func settle(_ stage: Stage) -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = stage
            return true
        }
    }
}
