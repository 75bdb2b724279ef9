/// The issuer identifier of each tenant (RFC 8414 §2): the server's public base URL and `/t/<tenant>`.
///
/// It is configured, never taken from a request's Host header, which a client controls.
public struct IssuerURL: Sendable {
    /// Scheme, host and optional port and path prefix, without a trailing slash: `https://auth.example.com`.
    public let base: String

    public init(base: String) {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    public func url(for tenant: Tenant) -> String {
        "\(base)/t/\(tenant.domain)"
    }
}
