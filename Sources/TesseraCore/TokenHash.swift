import Crypto
import Foundation

/// The stored identity of an access or refresh token: SHA-256 of the token, never the token.
///
/// A token has 256 random bits, so an unsalted hash cannot be reversed, and it stays deterministic
/// so that introspection can find the row by hash.
public struct TokenHash: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init(of token: String) {
        var sha = SHA256()
        var token = token
        token.withUTF8 { sha.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        self.bytes = sha.finalize().withUnsafeBytes { Array($0) }
    }

    public var description: String { "TokenHash(****)" }

    /// Whether `stored` is this hash, compared in constant time: every byte is looked at whatever the first
    /// difference.
    public func matches(_ stored: [UInt8]) -> Bool { ConstantTime.equal(bytes, stored) }
}
