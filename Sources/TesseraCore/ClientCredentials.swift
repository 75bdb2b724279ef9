import Foundation

/// The consumer key and secret a client authenticated with, and how it sent them (RFC 6749 §2.3.1).
public struct ClientCredentials: Sendable {
    public enum Method: String, Sendable {
        case clientSecretBasic = "client_secret_basic"
        case clientSecretPost = "client_secret_post"
    }

    public let consumerKey: String
    /// Dropped as soon as it is verified; never logged.
    public let secret: String
    public let method: Method

    /// Longest key or secret accepted; ours are far shorter, and every input has a limit.
    public static let maximumLength = 512

    /// Finds the client's credentials in the `Authorization` header or the form, never both.
    /// - Returns: nil when the client sent none.
    public static func extract(
        authorization: String?, form: TokenRequestParameters
    ) throws(OAuthError) -> ClientCredentials? {
        let basic = try authorization.map { header throws(OAuthError) in try parseBasic(header) }
        let postedKey = form["client_id"]
        let postedSecret = form["client_secret"]
        if let basic {
            // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
            guard postedSecret == nil else {
                throw .invalidRequest("use either HTTP Basic or client_secret in the body, not both")
            }
            if let postedKey, postedKey != basic.consumerKey {
                throw .invalidRequest("client_id does not match the HTTP Basic credentials")
            }
            return basic
        }
        guard let postedKey else {
            if postedSecret != nil { throw .invalidRequest("client_secret was sent without client_id") }
            return nil
        }
        guard let postedSecret else {
            throw .invalidClient(detail: "client_id without a secret; public clients are not supported")
        }
        guard postedKey.utf8.count <= maximumLength, postedSecret.utf8.count <= maximumLength else {
            throw .invalidClient(detail: "client credentials longer than \(maximumLength) bytes")
        }
        return ClientCredentials(consumerKey: postedKey, secret: postedSecret, method: .clientSecretPost)
    }

    /// `Basic base64(urlencode(key) ":" urlencode(secret))`, per RFC 6749 §2.3.1.
    static func parseBasic(_ header: String) throws(OAuthError) -> ClientCredentials {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            throw .invalidClient(detail: "Authorization header is not HTTP Basic")
        }
        let encoded = parts[1].trimmingCharacters(in: .whitespaces)
        guard encoded.utf8.count <= 4 * maximumLength,
            let decoded = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }),
            let colon = decoded.firstIndex(of: ":"),
            let key = formURLDecode(decoded[..<colon]),
            let secret = formURLDecode(decoded[decoded.index(after: colon)...]),
            !key.isEmpty
        else {
            throw .invalidClient(detail: "malformed HTTP Basic credentials")
        }
        guard key.utf8.count <= maximumLength, secret.utf8.count <= maximumLength else {
            throw .invalidClient(detail: "client credentials longer than \(maximumLength) bytes")
        }
        return ClientCredentials(consumerKey: key, secret: secret, method: .clientSecretBasic)
    }

    /// application/x-www-form-urlencoded decoding of one name or value: `+` is a space, `%XX` a byte;
    /// nil when the bytes are not UTF-8.
    public static func formURLDecode(_ value: Substring) -> String? {
        value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
