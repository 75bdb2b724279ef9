import Foundation

/// A client's redirect URIs: which may be registered, and whether the one an authorization request names is one of
/// them. Compared as exact strings (RFC 9700 §4.1.3: no prefix or pattern matching, which attackers turned into
/// open redirectors), except that a native app's loopback redirect may use any port (RFC 8252 §7.3): it listens on
/// one the operating system gives it.
public enum RedirectURI {
    /// The most a client registers.
    public static let maximumCount = 20
    public static let maximumLength = 2000

    /// Whether `text` may be registered: an absolute https URI, or http on a loopback host (RFC 8252 §7.3 and
    /// §8.3 for native apps), without a fragment (RFC 6749 §3.1.2) or credentials; no wildcards.
    public static func isRegistrable(_ text: String) -> Bool {
        !text.contains("*") && isHTTPSOrLoopback(text, maximumLength: maximumLength)
    }

    /// The rule every URL a client registers follows (redirect URIs, `jwks_uri`): absolute, at most
    /// `maximumLength` bytes, no control characters, credentials or fragment; https, or http on a loopback host.
    public static func isHTTPSOrLoopback(_ text: String, maximumLength: Int) -> Bool {
        guard text.utf8.count <= maximumLength, !text.hasControlCharacters, let url = URLComponents(string: text),
            url.fragment == nil, url.user == nil, url.password == nil, let host = url.host, !host.isEmpty
        else { return false }
        switch url.scheme?.lowercased() {
        case "https": return true
        case "http": return isLoopback(host) || host.lowercased() == "localhost"
        default: return false
        }
    }

    /// Whether `requested` is one of `registered`: the same string, or for a registered loopback http URI, the same
    /// but for the port.
    public static func matches(_ requested: String, registered: [String]) -> Bool {
        if registered.contains(requested) { return true }
        guard let asked = withoutLoopbackPort(requested) else { return false }
        return registered.contains { withoutLoopbackPort($0) == asked }
    }

    /// A loopback http URI with its port taken out; nil for any other.
    static func withoutLoopbackPort(_ text: String) -> String? {
        guard var url = URLComponents(string: text), url.scheme == "http", let host = url.host, isLoopback(host)
        else { return nil }
        url.port = nil
        return url.string
    }

    /// RFC 8252 §7.3 names the loopback IP literals; `localhost` is only NOT RECOMMENDED (§8.3), so it is registrable
    /// but compared exactly.
    static func isLoopback(_ host: String) -> Bool { host == "127.0.0.1" || host == "[::1]" || host == "::1" }
}
