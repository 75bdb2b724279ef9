import Logging

/// How `tessera serve` writes its log to standard error: `text` for people, `json` (one object a line) for
/// log collectors.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// A logger of this format at `level`, labelled `tessera`.
    public func logger(level: Logger.Level) -> Logger {
        var logger: Logger
        switch self {
        case .text: logger = Logger(label: "tessera") { StreamLogHandler.standardError(label: $0) }
        case .json: logger = Logger(label: "tessera") { JSONLogHandler(label: $0) }
        }
        logger.logLevel = level
        return logger
    }
}
