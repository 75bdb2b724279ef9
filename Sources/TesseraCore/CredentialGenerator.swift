import Crypto

/// Makes consumer keys, consumer secrets and access tokens from the system's secure random source.
public enum CredentialGenerator {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// 28 alphanumeric characters like WSO2's `pBzuIZhGphfQmdcUX0lneFiiuxwa`: it never looks like an option
    /// on a command line and needs no escaping anywhere.
    public static func consumerKey() -> String {
        alphanumeric(count: 28)
    }

    /// `count` random ASCII letters and digits: an identifier an operator types, never mistaken for an option.
    public static func alphanumeric(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in alphanumerics.randomElement(using: &generator)! }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `key` has the form of the keys `consumerKey()` makes: 28 ASCII letters and digits. Every key in the
    /// directory was made here, so a key of another form is refused before any lookup.
    public static func isConsumerKey(_ key: String) -> Bool {
        key.utf8.count == 28
            && key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0 & 0xDF) }
    }

    /// 24 random bytes (192 bits), base64url without padding: 32 URL-safe characters.
    public static func consumerSecret() -> String {
        randomBase64URL(byteCount: 24)
    }

    /// `byteCount` random bytes, base64url without padding: the one source of every random value the server hands
    /// out (tokens, codes, the browser cookie).
    public static func randomBase64URL(byteCount: Int) -> String {
        RandomPool.withBytes(count: byteCount) { Base64URL.encode($0) }
    }
}
