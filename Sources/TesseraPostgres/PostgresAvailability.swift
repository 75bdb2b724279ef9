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
                    try await Task.sleep(for: deadline)
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

    /// Connection trouble, or a server that is starting, stopping or out of resources.
    static func isUnavailable(_ error: PSQLError) -> Bool {
        guard error.code == .server else { return true }
        let state = error.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
    }
}
