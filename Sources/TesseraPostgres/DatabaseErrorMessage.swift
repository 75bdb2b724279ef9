import PostgresNIO
import TesseraCore

/// One line for an operator about a database error, without the generic text PostgresNIO prints to keep
/// secrets out of logs, and without any bound value.
public enum DatabaseErrorMessage {
    public static func describe(_ error: any Error, url: DatabaseURL) -> String {
        switch error {
        case let error as PSQLError where error.code == .server:
            return "the database at \(url) refused the request: \(reason(error))"
        case let error as PSQLError where error.code == .connectionError:
            return "cannot reach the database at \(url): \(reason(error))"
        case let error as StoreUnavailableError:
            return "cannot reach the database at \(url): \(error.description)"
        case let error as PSQLError:
            return "cannot use the database at \(url): \(reason(error))"
        default:
            return "\(error)"
        }
    }

    /// What went wrong, for a log line: the server's message and SQLSTATE, or the connection's own error; never the
    /// statement's values (PSQLError's own description says only that it hides them).
    public static func reason(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError where error.code == .server:
            let message = error.serverInfo?[.message] ?? "unknown error"
            return sqlState(error).map { "\(message) (SQLSTATE \($0))" } ?? message
        case let error as PSQLError where error.code == .connectionError:
            return error.underlying.map { "\($0)" } ?? "no connection"
        case let error as PSQLError:
            return error.underlying.map { "\($0)" } ?? "\(error.code)"
        default:
            return "\(error)"
        }
    }

    /// The SQLSTATE of a server error, such as `23505` for a unique violation.
    public static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
