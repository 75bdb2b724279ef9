import Foundation
import TesseraCore

/// The way back to the client (RFC 6749 §4.1.2): its checked redirect URI with the code or the error added to the
/// query, `state` echoed and, per RFC 9207, `iss` on every answer.
struct ClientRedirect: Sendable {
    let target: AuthorizationRequest.Target
    let issuer: String
    /// A 303 after a form's POST, so that the browser comes with GET; a 302 after a GET.
    let afterPost: Bool

    func success(code: String) -> EndpointResponse {
        redirect([("code", code)])
    }

    /// RFC 6749 §4.1.2.1: `error` and `error_description`.
    func error(_ error: OAuthError) -> EndpointResponse {
        redirect([("error", error.code.rawValue), ("error_description", error.description)])
    }

    private func redirect(_ pairs: [(String, String)]) -> EndpointResponse {
        var pairs = pairs
        if let state = target.state { pairs.append(("state", state)) }
        pairs.append(("iss", issuer))
        let query = pairs.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let uri = target.redirectURI
        // RFC 6749 §3.1.2: a registered query is kept, the answer's parameters appended.
        let separator = uri.contains("?") ? "&" : "?"
        return .redirect(to: uri + separator + query, afterPost: afterPost)
    }

    /// Percent-encoding of everything but RFC 3986's unreserved ASCII characters (`CharacterSet.alphanumerics`
    /// would keep every letter of Unicode).
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The origin (`scheme://host[:port]`) of a redirect URI: the consent page's policy lets its form lead there.
    static func origin(of uri: String) -> String? {
        guard let url = URLComponents(string: uri), let scheme = url.scheme, let host = url.host else { return nil }
        let port = url.port.map { ":\($0)" } ?? ""
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed)\(port)"
    }
}
