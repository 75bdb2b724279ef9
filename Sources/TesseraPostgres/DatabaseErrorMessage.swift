import PostgresNIO
import TesseraCore

/// One line for an operator about a database error, without the generic text PostgresNIO prints to keep
/// secrets out of logs, and without any bound value.
public enum DatabaseErrorMessage {
    public static func describe(_ error: any Error, url: DatabaseURL) -> String {
        switch error {
        case let error as PSQLError where error.code == .server:
            let message = error.serverInfo?[.message] ?? "unknown error"
            return "the database at \(url) refused the request: \(message)"
        case let error as PSQLError where error.code == .connectionError:
            let cause = error.underlying.map { "\($0)" } ?? "no connection"
            return "cannot reach the database at \(url): \(cause)"
        case let error as PSQLError:
            let cause = error.underlying.map { "\($0)" } ?? "\(error.code)"
            return "cannot use the database at \(url): \(cause)"
        case let error as StoreUnavailableError:
            return "cannot reach the database at \(url): \(error.description)"
        default:
            return "\(error)"
        }
    }

    /// The SQLSTATE of a server error, such as `23505` for a unique violation.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
