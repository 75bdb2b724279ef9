import Foundation

/// RFC 4648 §5 base64url without padding, as JOSE writes it (RFC 7515 §2).
public enum Base64URL {
    /// `CredentialGenerator.base64URL`, for bytes in any container.
    public static func encode(_ bytes: some DataProtocol) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({
            CredentialGenerator.base64URL(UnsafeRawBufferPointer($0))
        }) {
            return encoded
        }
        return Array(bytes).withUnsafeBytes { CredentialGenerator.base64URL($0) }
    }

    /// The alphabet's two letters mapped to standard base64's and the padding restored, then
    /// `ClientCredentials.base64Decode`'s strict decoding.
    static func decode(_ text: some StringProtocol) -> Data? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "/"))
            // Standard base64's own letters and padding are not base64url.
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil
            default: bytes.append(byte)
            }
        }
        guard bytes.count % 4 != 1 else { return nil }
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (4 - bytes.count % 4) % 4))
        return ClientCredentials.base64Decode(bytes).map { Data($0) }
    }
}
