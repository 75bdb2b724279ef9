import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import TesseraCore

/// Runs a database operation with a deadline, and turns "the database cannot be reached" into
/// `StoreUnavailableError`, which the token endpoint answers with 503 and `Retry-After`.
///
/// The deadline holds whatever the operation does. PostgresNIO hands a statement to its connection's channel with a
/// write whose failure nobody hears: on a channel the server has just closed, the statement is dropped and its
/// answer never comes. A task group would wait for that child after its deadline, for good (the wedge of issue 20:
/// a token batch that never ended, and every later request queued behind it). So the caller is answered by
/// whichever comes first, and an operation that outlives its deadline is cancelled and left to end by itself.
///
/// PostgresNIO's pool keeps retrying a lost server by itself, so once the database is back, requests
/// succeed again with no restart.
public enum PostgresAvailability {
    public static let defaultDeadline: Duration = .seconds(3)

    public static func run<Result: Sendable>(
        deadline: Duration = defaultDeadline,
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await firstOf(operation, deadline: deadline) {
            StoreUnavailableError("no answer from the database within \(deadline)")
        }
    }

    /// As `run(deadline:_:)` on a connection the caller holds (a batch session): past the deadline the connection
    /// is closed, so that it goes back to the pool as broken rather than with a statement still in flight on it.
    static func run<Result: Sendable>(
        on connection: PostgresConnection, deadline: Duration = defaultDeadline,
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        guard !connection.isClosed else { throw StoreUnavailableError("the database closed the connection") }
        do {
            return try await run(deadline: deadline, operation)
        } catch let error as StoreUnavailableError {
            if !connection.isClosed { Task { try? await connection.close() } }
            throw error
        }
    }

    /// Leases one connection from `client` and runs `body` on it (a batch worker's session), waiting at most
    /// `deadline` for the connection; `body`'s own statements keep their own deadlines. Throws, and never runs
    /// `body`, when no connection came in time.
    static func withConnection(
        _ client: any DatabaseClient, deadline: Duration = defaultDeadline,
        _ body: @escaping @Sendable (PostgresConnection) async -> Void
    ) async throws {
        // A connection that arrives just as the deadline passes must not run `body` after the caller was told
        // it never would: whichever of the two comes first settles it.
        let lease = LeaseState()
        let leased: @Sendable () async throws -> Void = {
            try await client.current.withConnection { connection in
                if lease.settle(.started) { await body(connection) }
            }
        }
        do {
            try await firstOf(leased, deadline: deadline) {
                lease.settle(.abandoned) ? StoreUnavailableError("no database connection within \(deadline)") : nil
            }
        } catch {
            // Once started, `body` ran and answered for itself; only a lease that never started is an error here.
            guard lease.stage != .started else { return }
            throw classified(error)
        }
    }

    /// The result of `operation`, or the error `expired` gives at `deadline`; `expired` may decline (nil) when the
    /// operation has already begun something it must finish, and the caller then waits for the operation.
    private static func firstOf<Result: Sendable>(
        _ operation: @escaping @Sendable () async throws -> Result, deadline: Duration,
        expired: @escaping @Sendable () -> StoreUnavailableError?
    ) async throws -> Result {
        let answer = Answer<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                guard answer.wait(continuation) else { return }
                let work = Task {
                    // The deadline runs from when the operation starts: it is the database's time to answer, not
                    // the wait for a thread of this process (a starved pool in a test run once spent it all).
                    // An event loop's timer, not `Task.sleep`: with the event loops as the concurrency executor
                    // (as `serve` runs) `Task.sleep` falls back to Dispatch, whose timer and thread wake-up cost 5%
                    // of the server's CPU at a fixed 5,000 tokens/s.
                    let loop =
                        MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
                    let timer = loop.scheduleTask(in: TimeAmount(deadline)) {
                        if let error = expired() { answer.give(.failure(error)) }
                    }
                    answer.onAnswer { timer.cancel() }
                    do {
                        answer.give(.success(try await operation()))
                    } catch {
                        answer.give(.failure(classified(error)))
                    }
                }
                answer.onCancel { work.cancel() }
            }
        } onCancel: {
            answer.give(.failure(CancellationError()))
        }
    }

    /// The error a caller sees: "the database cannot be reached" as `StoreUnavailableError`, anything else as is.
    private static func classified(_ error: any Error) -> any Error {
        switch error {
        case let error as PSQLError:
            isUnavailable(error) ? StoreUnavailableError("database unavailable: \(error.code)") : error
        // The operation's own refusals ("no tenant x", an edited migration) answered from a reachable database.
        case is StoreUnavailableError, is CorruptRowError, is CancellationError, is AdministrationError,
            is ApplicationSettingsError, is RegistrationRefusal, is MigrationError:
            error
        // Anything else is the pool's: its circuit breaker after a long outage, a shutdown, a cancelled lease.
        default: StoreUnavailableError("database unavailable: \(error)")
        }
    }

    /// Connection trouble, a server that is starting, stopping or out of resources, or one that no longer takes
    /// writes (25006: a primary demoted to a standby by a failover, until the pool moves to the new one).
    static func isUnavailable(_ error: PSQLError) -> Bool {
        guard error.code == .server else { return true }
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state == "25006"
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The one answer of `PostgresAvailability.firstOf`: the first of the operation, the deadline and cancellation
/// gives it; the others find it taken.
private final class Answer<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result, any Error>?
        var early: Swift.Result<Result, any Error>?
        var answered = false
        var onAnswer: [@Sendable () -> Void] = []
        var onCancel: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    /// Hands over the caller's continuation; false when the answer came first (it is given at once then).
    func wait(_ continuation: CheckedContinuation<Result, any Error>) -> Bool {
        let early = state.withLock { state -> Swift.Result<Result, any Error>? in
            if state.early == nil { state.continuation = continuation }
            return state.early
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    func onAnswer(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.answered { return true }
            state.onAnswer.append(action)
            return false
        }
        if now { action() }
    }

    func onCancel(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.onCancel = action }
    }

    func give(_ result: Swift.Result<Result, any Error>) {
        let (continuation, actions, cancel) = state.withLock {
            state -> (CheckedContinuation<Result, any Error>?, [@Sendable () -> Void], (@Sendable () -> Void)?) in
            guard !state.answered else { return (nil, [], nil) }
            state.answered = true
            defer {
                state.continuation = nil
                state.onAnswer = []
            }
            if state.continuation == nil { state.early = result }
            let cancel: (@Sendable () -> Void)? = if case .failure = result { state.onCancel } else { nil }
            return (state.continuation, state.onAnswer, cancel)
        }
        continuation?.resume(with: result)
        actions.forEach { $0() }
        cancel?()
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
