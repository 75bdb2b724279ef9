import HTTPTypes
import Hummingbird
import Logging

/// One request, once its response is ready: what the access log writes and the metrics count.
///
/// It holds no header, no body and no query string, where credentials and tokens travel; the path and the
/// tenant are the client's to choose, so they are cut to a bounded length.
struct CompletedRequest: Sendable {
    static let maximumPathLength = 256
    static let maximumTenantLength = 253

    let method: HTTPRequest.Method
    let path: String
    let notes: RequestNotes.Values
    let status: Int
    let duration: Duration

    init(_ request: Request, notes: RequestNotes.Values, status: Int, duration: Duration) {
        self.method = request.method
        self.path = String(request.uri.path.prefix(Self.maximumPathLength))
        var notes = notes
        notes.tenant = notes.tenant.map { String($0.prefix(Self.maximumTenantLength)) }
        self.notes = notes
        self.status = status
        self.duration = duration
    }

    /// The latency in milliseconds, to the microsecond.
    var milliseconds: Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1e6 + Double(attoseconds) / 1e12).rounded()) / 1e3
    }

    /// The access log line, at info; `hb.request.id` comes with the logger, as on every line of this request.
    func log(to logger: Logger) {
        var metadata: Logger.Metadata = [
            "method": .string(method.rawValue),
            "path": .string(path),
            "status": .stringConvertible(status),
            "latency_ms": .stringConvertible(milliseconds),
        ]
        if let endpoint = notes.endpoint { metadata["endpoint"] = .string(endpoint.rawValue) }
        if let tenant = notes.tenant { metadata["tenant"] = .string(tenant) }
        if let grantType = notes.grantType { metadata["grant_type"] = .string(grantType) }
        if let error = notes.error { metadata["error"] = .string(error) }
        logger.info("request", metadata: metadata)
    }
}
