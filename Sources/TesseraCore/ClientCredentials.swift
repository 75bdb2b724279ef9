import Foundation

/// The consumer key a client authenticated with, its proof, and how it sent them (RFC 6749 §2.3.1, RFC 7523 §2.2).
public struct ClientCredentials: Sendable {
    public typealias Method = ClientAuthenticationMethod

    /// What proves the client is who it says.
    public enum Proof: Sendable {
        /// Dropped as soon as it is verified; never logged.
        case secret(String)
        case assertion(ClientAssertion)
        /// A public client's `client_id` alone.
        case none
    }

    public let consumerKey: String
    public let proof: Proof
    public let method: Method

    /// The secret, for the secret methods.
    public var secret: String? {
        if case .secret(let secret) = proof { return secret }
        return nil
    }

    init(consumerKey: String, secret: String, method: Method) {
        self.consumerKey = consumerKey
        self.proof = .secret(secret)
        self.method = method
    }

    /// A public client naming itself.
    init(publicClient consumerKey: String) {
        self.consumerKey = consumerKey
        self.proof = .none
        self.method = .none
    }

    init(assertion: ClientAssertion) {
        self.consumerKey = assertion.subject
        self.proof = .assertion(assertion)
        self.method = .privateKeyJWT
    }

    /// Longest key or secret accepted; ours are far shorter, and every input has a limit.
    public static let maximumLength = 512

    /// The form parameters client authentication reads, which every endpoint that authenticates clients accepts.
    public static let parameters: Set<String> = [
        "client_id", "client_secret", "client_assertion_type", "client_assertion",
    ]

    /// Finds the client's credentials in the `Authorization` header or the form, one method only.
    /// - Returns: nil when the client sent none.
    public static func extract(
        authorization: String?, form: TokenRequestParameters
    ) throws(OAuthError) -> ClientCredentials? {
        let postedKey = form["client_id"]
        let postedSecret = form["client_secret"]
        let assertionType = form["client_assertion_type"]
        if assertionType != nil || form["client_assertion"] != nil {
            guard authorization == nil, postedSecret == nil else {
                throw .invalidRequest("use one client authentication method, not several")
            }
            guard assertionType == ClientAssertion.type else {
                throw .invalidClient(detail: "client_assertion_type is not \(ClientAssertion.type)")
            }
            guard let text = form["client_assertion"] else {
                throw .invalidClient(detail: "client_assertion is missing")
            }
            let assertion = try ClientAssertion(text)
            // The client is the assertion's subject; a client_id beside it must name the same one.
            if let postedKey, postedKey != assertion.subject {
                throw .invalidClient(detail: "client_id is not the client assertion's subject")
            }
            try checkPlausible(key: assertion.subject, secret: "")
            return ClientCredentials(assertion: assertion)
        }
        let basic = try authorization.map { header throws(OAuthError) in try parseBasic(header) }
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
            // RFC 6749 §2.3.1 and §3.2.1: a public client sends its client_id alone.
            try checkPlausible(key: postedKey, secret: "")
            return ClientCredentials(publicClient: postedKey)
        }
        try checkPlausible(key: postedKey, secret: postedSecret)
        return ClientCredentials(consumerKey: postedKey, secret: postedSecret, method: .clientSecretPost)
    }

    /// `Basic base64(urlencode(key) ":" urlencode(secret))`, per RFC 6749 §2.3.1.
    static func parseBasic(_ header: String) throws(OAuthError) -> ClientCredentials {
        let value = header.utf8[...].trimmingSpacesAndTabs()
        let scheme = value.prefix { $0 != 0x20 }
        let encoded = value[scheme.endIndex...].trimmingSpacesAndTabs()
        guard scheme.equalsIgnoringASCIICase("basic"), !encoded.isEmpty else {
            throw .invalidClient(detail: "Authorization header is not HTTP Basic")
        }
        guard encoded.count <= 4 * maximumLength,
            let decoded = base64Decode(encoded).flatMap({ String(validating: $0, as: UTF8.self) }),
            // On bytes: a Character search breaks the text into graphemes first.
            let colon = decoded.utf8.firstIndex(of: UInt8(ascii: ":")),
            let key = formURLDecode(decoded[..<colon]),
            // The next byte, not the next Character: a combining mark after the colon is the secret's.
            let secret = formURLDecode(decoded[decoded.utf8.index(after: colon)...]),
            !key.isEmpty
        else {
            throw .invalidClient(detail: "malformed HTTP Basic credentials")
        }
        try checkPlausible(key: key, secret: secret)
        return ClientCredentials(consumerKey: key, secret: secret, method: .clientSecretBasic)
    }

    /// Credentials no application can have are refused before any lookup: too long, or with a control character
    /// (a NUL would make the directory's query fail, which answered 500).
    private static func checkPlausible(key: String, secret: String) throws(OAuthError) {
        guard key.utf8.count <= maximumLength, secret.utf8.count <= maximumLength else {
            throw .invalidClient(detail: "client credentials longer than \(maximumLength) bytes")
        }
        guard !key.hasControlCharacters, !secret.hasControlCharacters else {
            throw .invalidClient(detail: "client credentials with a control character")
        }
    }

    /// application/x-www-form-urlencoded decoding of one name or value: `+` is a space, `%XX` a byte;
    /// nil when the bytes are not UTF-8.
    public static func formURLDecode(_ value: Substring) -> String? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(value.utf8.count)
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// RFC 4648 §4 base64 with its padding, strictly: a length that is a multiple of 4, only the alphabet, `=`
    /// only at the end. (By hand rather than Foundation's `Data(base64Encoded:)`, which cost a String, a Data and
    /// a copy on every request.)
    static func base64Decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var sextets = 0
        var padding = 0
        for character in text {
            let value: UInt8
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = character - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                value = 0
            default: return nil
            }
            // Nothing but more padding may follow padding, and at most two.
            guard padding == 0 || character == UInt8(ascii: "="), padding <= 2 else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            sextets += 1
            if sextets == 4 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                sextets = 0
            }
        }
        bytes.removeLast(padding)
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
