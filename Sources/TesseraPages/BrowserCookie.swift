import Crypto
import Foundation
import TesseraCore

/// The one cookie a browser gets: a random value that names the browser to the sign-in pages. Before sign-in it only
/// anchors the forms' CSRF tokens; signing in replaces it with a new value whose hash the session store knows (so a
/// value planted before sign-in is worth nothing after), and signing out ends that session.
public struct BrowserCookie: Sendable, Equatable {
    public let value: String
    public let use: Use

    /// Which of the two cookies a browser may hold, each with its own sessions.
    public enum Use: Sendable, Equatable {
        /// The sign-in and consent pages': `SameSite=Lax`, because a client's redirect to `/authorize` is a
        /// cross-site top-level GET that must arrive with the session.
        case signIn
        /// The console's: `SameSite=Strict`, because nothing outside the console needs to arrive signed in, and a
        /// link from another site then reaches the console without the session at all.
        case console

        var baseName: String { self == .signIn ? "tessera" : "tessera-console" }
        var sameSite: String { self == .signIn ? "Lax" : "Strict" }
    }

    /// `__Host-` on HTTPS (the browser then insists on `Secure`, `Path=/` and no `Domain`); plain on http, for
    /// development on localhost.
    public static func name(secure: Bool, use: Use = .signIn) -> String {
        secure ? "__Host-\(use.baseName)" : use.baseName
    }

    /// A session lives eight hours, then the user signs in again.
    public static let sessionLifetime: TimeInterval = 8 * 3600

    public init(value: String, use: Use = .signIn) {
        self.value = value
        self.use = use
    }

    /// A new random value: 256 bits.
    public static func generate(use: Use = .signIn) -> BrowserCookie {
        BrowserCookie(value: CredentialGenerator.randomBase64URL(byteCount: 32), use: use)
    }

    /// The browser's cookie, if it sent a plausible one.
    public static func from(_ request: EndpointRequest, use: Use = .signIn) -> BrowserCookie? {
        guard let value = request.cookies[name(secure: request.isSecure, use: use)], value.utf8.count == 43,
            value.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: ";") && $0 > 0x20 })
        else { return nil }
        return BrowserCookie(value: value, use: use)
    }

    /// What the session store keys the session by.
    public var sessionHash: TokenHash { TokenHash(of: value) }

    /// The CSRF token of every form this browser is shown: derived from the cookie, which another site can neither
    /// read nor set (`SameSite`, and `__Host-` on HTTPS), so a forged form cannot carry it.
    public var csrfToken: String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("tessera-csrf".utf8), using: SymmetricKey(data: Data(value.utf8)))
        return Base64URL.encode(Data(mac))
    }

    /// Whether a form's `csrf` field is this browser's token, compared in constant time.
    public func accepts(csrf: String?) -> Bool {
        guard let csrf else { return false }
        return ConstantTime.equal(Array(csrfToken.utf8), Array(csrf.utf8))
    }

    /// The `Set-Cookie` header value: `HttpOnly`, the use's `SameSite`, `Secure` on HTTPS, for `maxAge` seconds.
    public func setCookie(secure: Bool, maxAge: Int = Int(sessionLifetime)) -> String {
        var attributes =
            "\(Self.name(secure: secure, use: use))=\(value); Path=/; HttpOnly; SameSite=\(use.sameSite); Max-Age=\(maxAge)"
        if secure { attributes += "; Secure" }
        return attributes
    }

    /// A `Set-Cookie` value that deletes the cookie (sign-out).
    public static func clear(secure: Bool, use: Use = .signIn) -> String {
        "\(name(secure: secure, use: use))=; Path=/; HttpOnly; SameSite=\(use.sameSite); Max-Age=0\(secure ? "; Secure" : "")"
    }
}
