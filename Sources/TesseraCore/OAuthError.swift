/// An error of the OAuth 2.0 protocol, rendered to the client as `{"error","error_description"}`.
///
/// The vocabulary is closed (RFC 6749 §5.2, plus the few statuses a token endpoint needs around it).
/// `description` is safe to send; `detail` is for the log only and never leaves the server.
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The `error` code sent to the client.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalidRequest = Code(rawValue: "invalid_request")
        public static let invalidClient = Code(rawValue: "invalid_client")
        public static let invalidGrant = Code(rawValue: "invalid_grant")
        public static let unauthorizedClient = Code(rawValue: "unauthorized_client")
        public static let unsupportedGrantType = Code(rawValue: "unsupported_grant_type")
        public static let invalidScope = Code(rawValue: "invalid_scope")
        /// RFC 8707 §2: a requested resource is unknown, malformed or not allowed to the client.
        public static let invalidTarget = Code(rawValue: "invalid_target")
        public static let temporarilyUnavailable = Code(rawValue: "temporarily_unavailable")
        public static let serverError = Code(rawValue: "server_error")
        /// Not in RFC 6749: the tenant in the path does not exist or is disabled.
        public static let notFound = Code(rawValue: "not_found")
        /// Not in RFC 6749: the client is throttled and should come back after `Retry-After`.
        public static let slowDown = Code(rawValue: "slow_down")
    }

    public let code: Code
    /// The client-safe `error_description`.
    public let description: String
    /// What went wrong, for the log. Never sent to the client.
    public let detail: String?
    /// Seconds for a `Retry-After` header, where the client may try again later.
    public let retryAfter: Int?
    /// The HTTP status this error is sent with.
    public let status: Int

    public init(_ code: Code, _ description: String, detail: String? = nil, retryAfter: Int? = nil, status: Int? = nil)
    {
        self.code = code
        self.description = description
        self.detail = detail
        self.retryAfter = retryAfter
        self.status = status ?? Self.defaultStatus(for: code)
    }

    public var debugDescription: String {
        "OAuthError(\(code.rawValue): \(description)\(detail.map { "; \($0)" } ?? ""))"
    }

    /// RFC 6749 §5.2: 400 for everything but `invalid_client`, which is 401 when the client tried to authenticate.
    static func defaultStatus(for code: Code) -> Int {
        switch code {
        case .invalidClient: 401
        case .notFound: 404
        case .slowDown: 429
        case .serverError: 500
        case .temporarilyUnavailable: 503
        default: 400
        }
    }
}

extension OAuthError {
    public static func invalidRequest(_ description: String, detail: String? = nil) -> OAuthError {
        OAuthError(.invalidRequest, description, detail: detail)
    }

    /// One description for every client authentication failure, so that the answer does not tell
    /// an unknown key from a wrong secret or a disabled application.
    public static func invalidClient(detail: String) -> OAuthError {
        OAuthError(.invalidClient, "client authentication failed", detail: detail)
    }

    public static func temporarilyUnavailable(detail: String, retryAfter: Int = 1) -> OAuthError {
        OAuthError(
            .temporarilyUnavailable, "the service is temporarily unavailable", detail: detail, retryAfter: retryAfter)
    }
}
