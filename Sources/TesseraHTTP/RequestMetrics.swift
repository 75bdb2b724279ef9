import CoreMetrics
import TesseraCore

/// Request counts and the token latency, through swift-metrics.
///
/// Every label comes from a small closed set: the endpoint, an installed grant type or "other", an OAuth error code
/// or a status class. None comes from a token, a user, a client or a tenant, so the number of series stays bounded
/// whatever clients send.
///
/// - `tessera_requests_total{endpoint, grant_type, outcome}`
/// - `tessera_client_authentication_failures_total{endpoint}`
/// - `tessera_token_issue_duration_seconds{grant_type}`: the latency of requests that got a token
public struct RequestMetrics: Sendable {
    /// The error codes an outcome may name; another code a plugin makes up is counted by its status class.
    static let errorCodes: Set<String> = Set(
        [
            OAuthError.Code.invalidRequest, .invalidClient, .invalidGrant, .unauthorizedClient, .unsupportedGrantType,
            .invalidScope, .temporarilyUnavailable, .serverError, .notFound, .slowDown,
        ].map(\.rawValue))

    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func record(_ request: CompletedRequest) {
        let endpoint = request.notes.endpoint?.rawValue ?? "other"
        let grantType = request.notes.grantType ?? "none"
        Counter(
            label: "tessera_requests_total",
            dimensions: [("endpoint", endpoint), ("grant_type", grantType), ("outcome", Self.outcome(request))],
            factory: factory
        ).increment()
        if request.notes.error == OAuthError.Code.invalidClient.rawValue {
            Counter(
                label: "tessera_client_authentication_failures_total", dimensions: [("endpoint", endpoint)],
                factory: factory
            ).increment()
        }
        if request.notes.endpoint == .token, request.status == 200 {
            let (seconds, attoseconds) = request.duration.components
            Timer(
                label: "tessera_token_issue_duration_seconds", dimensions: [("grant_type", grantType)], factory: factory
            )
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
    }

    /// The OAuth error code of a refused request, else the status class: `2xx`, `4xx`, `5xx`.
    static func outcome(_ request: CompletedRequest) -> String {
        if let error = request.notes.error, errorCodes.contains(error) { return error }
        return "\(request.status / 100)xx"
    }
}
