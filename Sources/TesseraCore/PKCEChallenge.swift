import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636) as OAuth 2.1 and RFC 9700 §2.1.1 require it: for every client, `S256`
/// only. The authorization request sends the challenge, `BASE64URL(SHA256(verifier))`; the token request proves it
/// with the verifier, which only the client that started the flow knows.
public struct PKCEChallenge: Sendable, Hashable {
    /// The challenge as sent: 43 base64url characters (a SHA-256).
    public let value: String

    /// The challenge of an authorization request; `invalid_request` when it is missing, not `S256` (`plain` is
    /// refused: it proves nothing against an attacker who saw the request) or not a SHA-256 in base64url.
    public init(challenge: String?, method: String?) throws(OAuthError) {
        guard let challenge else { throw .invalidRequest("code_challenge is required (PKCE with S256)") }
        guard method == "S256" else {
            throw .invalidRequest("code_challenge_method must be S256")
        }
        guard challenge.utf8.count == 43, challenge.utf8.allSatisfy(Self.isBase64URL) else {
            throw .invalidRequest("code_challenge must be the base64url SHA-256 of the code verifier")
        }
        self.value = challenge
    }

    /// Whether `verifier` is the one this challenge was made from: 43 to 128 unreserved characters (RFC 7636
    /// §4.1) whose SHA-256 is the challenge, compared in constant time.
    public func isVerified(by verifier: String) -> Bool {
        guard Self.isWellFormed(verifier: verifier) else { return false }
        let computed = Array(Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8)))).utf8)
        return ConstantTime.equal(computed, Array(value.utf8))
    }

    /// RFC 7636 §4.1: `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`, 43 to 128 of them.
    public static func isWellFormed(verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && verifier.utf8.allSatisfy { isBase64URL($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "~") }
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
