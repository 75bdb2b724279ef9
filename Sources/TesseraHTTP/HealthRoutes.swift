import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

/// `GET /health/live` and `GET /health/ready` on the public port, for orchestrators and load balancers.
///
/// Live means the process serves HTTP, nothing more: a liveness probe that failed during a database outage
/// would restart every instance at once. Ready means tokens can be issued now (see `Readiness`). Both answer
/// JSON with `Cache-Control: no-store`, so that no proxy keeps a stale answer.
public struct HealthRoutes: Sendable {
    /// Seconds a load balancer should wait before probing an unready instance again.
    static let retryAfter = 5

    private let probe: ReadinessProbe

    /// - Parameter readiness: the check behind `/health/ready`; it runs at most once a second.
    public init(readiness: @escaping @Sendable () async -> Readiness) {
        self.probe = ReadinessProbe(check: readiness)
    }

    public func register(on router: Router<TesseraRequestContext>) {
        router.get("/health/live") { _, context in
            context.notes.update { $0.endpoint = .health }
            return Self.response(.ok, JSONObject().adding("status", "live"))
        }
        router.get("/health/ready") { _, context in
            context.notes.update { $0.endpoint = .health }
            switch await probe.readiness() {
            case .ready:
                return Self.response(.ok, JSONObject().adding("status", "ready"))
            case .unavailable(let reason):
                var response = Self.response(
                    .serviceUnavailable, JSONObject().adding("status", "unavailable").adding("reason", reason))
                response.headers[.retryAfter] = String(Self.retryAfter)
                return response
            }
        }
    }

    private static func response(_ status: HTTPResponse.Status, _ body: JSONObject) -> Response {
        Response(status: status, headers: .oauthResponse, body: .init(byteBuffer: body.buffer()))
    }
}
