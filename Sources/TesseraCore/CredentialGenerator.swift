import Crypto
import Foundation

/// Makes consumer keys, consumer secrets and access tokens from the system's secure random source.
public enum CredentialGenerator {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// 28 alphanumeric characters like WSO2's `pBzuIZhGphfQmdcUX0lneFiiuxwa`: it never looks like an option
    /// on a command line and needs no escaping anywhere.
    public static func consumerKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<28).map { _ in alphanumerics.randomElement(using: &generator)! }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 24 random bytes (192 bits), base64url without padding: 32 URL-safe characters.
    public static func consumerSecret() -> String {
        randomBase64URL(byteCount: 24)
    }

    static func randomBase64URL(byteCount: Int) -> String {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8))
        return key.withUnsafeBytes { Data($0) }.base64URLEncodedString()
    }
}

extension Data {
    /// RFC 4648 §5 base64url without padding.
    public func base64URLEncodedString() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
