import Crypto
import Foundation
import Testing

@testable import TesseraCore

/// The rules the authorization code grant (issue 21) is built on, each on its own: PKCE with S256 only, and redirect
/// URIs compared exactly but for a loopback port.
@Suite("PKCE and redirect URIs")
struct AuthorizationCodeRulesTests {
    /// RFC 7636 Appendix B's example pair.
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    @Test("S256 verifies RFC 7636's example; plain, a missing or malformed challenge, a wrong verifier are refused")
    func pkce() throws {
        let pkce = try PKCEChallenge(challenge: Self.challenge, method: "S256")
        #expect(pkce.isVerified(by: Self.verifier))
        #expect(!pkce.isVerified(by: Self.verifier.replacingOccurrences(of: "d", with: "e")))
        #expect(!pkce.isVerified(by: "short"), "a verifier under 43 characters")
        #expect(!pkce.isVerified(by: Self.verifier + "+"), "a character outside the unreserved set")
        #expect(!pkce.isVerified(by: String(repeating: "a", count: 129)))
        for (challenge, method) in [
            (Self.challenge, "plain"), (Self.challenge, nil), (nil, "S256"), ("abc", "S256"),
            (String(repeating: "=", count: 43), "S256"), (Self.challenge, "s256"),
        ] {
            #expect(throws: OAuthError.self, "\(String(describing: challenge)) \(String(describing: method))") {
                try PKCEChallenge(challenge: challenge, method: method)
            }
        }
        // A verifier of our own round-trips, whatever its length within the bounds.
        for length in [43, 64, 128] {
            let verifier = String((0..<length).map { _ in "abcXYZ019-._~".randomElement()! })
            let made = Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
            #expect(try PKCEChallenge(challenge: made, method: "S256").isVerified(by: verifier), "\(length)")
        }
    }

    @Test("redirect URIs: exact, but a loopback http one may change its port; what may be registered")
    func redirectURIs() {
        let registered = ["https://agent.example/cb", "http://127.0.0.1/callback", "http://[::1]:8000/cb"]
        #expect(RedirectURI.matches("https://agent.example/cb", registered: registered))
        #expect(RedirectURI.matches("http://127.0.0.1:53682/callback", registered: registered))
        #expect(RedirectURI.matches("http://127.0.0.1/callback", registered: registered))
        #expect(RedirectURI.matches("http://[::1]:9/cb", registered: registered))
        for refused in [
            "https://agent.example/cb/", "https://agent.example/cb?x=1", "https://agent.example:444/cb",
            "https://AGENT.example/cb", "http://agent.example/cb", "http://127.0.0.1:53682/callback/evil",
            "http://127.0.0.2/callback", "https://127.0.0.1/callback", "http://localhost:53682/callback",
            "http://127.0.0.1:53682/callback?x=1",
        ] {
            #expect(!RedirectURI.matches(refused, registered: registered), "\(refused)")
        }
        for good in ["https://agent.example/cb", "http://127.0.0.1/cb", "http://[::1]:8/cb", "http://localhost/cb"] {
            #expect(RedirectURI.isRegistrable(good), "\(good)")
        }
        for bad in [
            "http://agent.example/cb", "https://agent.example/cb#f", "https://*.agent.example/cb", "agent.example/cb",
            "https://u:p@agent.example/cb", "javascript:alert(1)", "custom-scheme:/cb",
        ] {
            #expect(!RedirectURI.isRegistrable(bad), "\(bad)")
        }
    }
}
