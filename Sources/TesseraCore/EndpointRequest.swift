import Foundation

/// A request to a grant's own endpoint (`GrantEndpoint`), as the server read it.
public struct EndpointRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public let method: Method
    /// The tenant named in the path (or the default tenant), as given: the endpoint looks it up.
    public let tenantDomain: String
    /// The query string's parameters, each name and value decoded; a repeated name keeps every value.
    public let query: TokenRequestParameters
    /// A POST's form body; empty for GET.
    public let form: TokenRequestParameters
    /// The `Cookie` header's pairs; the first of a repeated name.
    public let cookies: [String: String]
    /// The client's address (behind trusted proxies), for throttles.
    public let sourceAddress: String?
    /// Whether the browser reached the server over HTTPS (directly or through a trusted proxy): cookies are then
    /// `Secure`.
    public let isSecure: Bool

    public init(
        method: Method, tenantDomain: String, query: TokenRequestParameters, form: TokenRequestParameters = .init(),
        cookies: [String: String] = [:], sourceAddress: String? = nil, isSecure: Bool = false
    ) {
        self.method = method
        self.tenantDomain = tenantDomain
        self.query = query
        self.form = form
        self.cookies = cookies
        self.sourceAddress = sourceAddress
        self.isSecure = isSecure
    }

    /// The parameters of the request: the form's for a POST, the query's for a GET.
    public var parameters: TokenRequestParameters { method == .post ? form : query }

    /// Longest `Cookie` header read; a browser sends a few hundred bytes to us.
    public static let maximumCookieHeaderLength = 8192

    /// The pairs of a `Cookie` header (RFC 6265 §4.2): `name=value; name=value`, values kept as sent.
    public static func cookies(fromHeader header: String?) -> [String: String] {
        guard let header, header.utf8.count <= maximumCookieHeaderLength else { return [:] }
        var cookies: [String: String] = [:]
        for pair in header.split(separator: ";") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = pair[..<equals].trimmingCharacters(in: .whitespaces)
            let value = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, cookies[name] == nil { cookies[name] = value }
        }
        return cookies
    }
}
