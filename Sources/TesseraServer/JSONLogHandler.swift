import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes each log event as one JSON object on one line, for log collectors:
///
/// ```
/// {"timestamp":"2026-05-01T12:00:00.123Z","level":"info","label":"tessera","message":"request",
///  "source":"TesseraHTTP","hb.request.id":"…","method":"POST","status":200,"latency_ms":1.234}
/// ```
///
/// Metadata become members beside the fixed ones (a metadata key that would shadow one is prefixed with
/// `metadata.`); integers, floating-point numbers and booleans stay JSON numbers and booleans, nested metadata
/// become arrays and objects.
public struct JSONLogHandler: LogHandler {
    static let fixedKeys: Set<String> = ["timestamp", "level", "label", "message", "source"]

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: @Sendable (String) -> Void

    /// - Parameter output: receives each line without its newline; standard error by default.
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        output: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let attached = event.metadata { merged.merge(attached) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = .string("\(error)") }
        var line = JSONLine()
        line.member("timestamp", .string(Self.timestamp()))
        line.member("level", .string(event.level.rawValue))
        line.member("label", .string(label))
        line.member("message", .string(event.message.description))
        line.member("source", .string(event.source))
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.member(Self.fixedKeys.contains(key) ? "metadata.\(key)" : key, value)
        }
        output(line.finished())
    }

    /// One `write(2)` per line under a lock, so that lines from different threads never interleave.
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        var text = line + "\n"
        standardErrorLock.withLock { _ in
            text.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }

    private static let standardErrorLock = Mutex(())

    /// UTC, ISO 8601, milliseconds: `2026-05-01T12:00:00.123Z`.
    static func timestamp() -> String {
        // Foundation's clock, not clock_gettime: which module owns C's `timespec` for Swift depends on the
        // order modules load, and a file that adds an import elsewhere in the module can hide its fields.
        let now = Date().timeIntervalSince1970
        var seconds = time_t(now.rounded(.down))
        let milliseconds = Int((now - now.rounded(.down)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + "T" + padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2)
            + ":" + padded(Int(parts.tm_sec), 2) + "." + padded(milliseconds, 3) + "Z"
    }
}
