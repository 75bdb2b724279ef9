import Crypto
import Foundation

/// The key only the servers hold: it seals what the database keeps but must not be able to use on its own, so that a
/// copy of the database is not enough to use a reusable token or to sign a JWT access token. AES-256-GCM; each sealed
/// value is bound to where it belongs (its associated data), so moved to another row it no longer opens.
public struct ServerKey: Sendable {
    /// The raw key: `SymmetricKey` is not `Sendable` in swift-crypto 3, so one is made per use (a copy of 32 bytes).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A key from its base64 form (32 bytes); nil for anything else.
    public init?(base64 text: String) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32
        else { return nil }
        self.keyBytes = Array(data)
    }

    /// A new random key in base64, for `TESSERA_KEY`.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    /// A reusable token, bound to its reuse key.
    public func seal(_ token: String, for key: ReuseKey) throws -> [UInt8] {
        try seal(Array(token.utf8), binding: key.associatedData)
    }

    /// The token, or nil when the bytes were not sealed by this key for `key`.
    public func open(_ sealed: [UInt8], for key: ReuseKey) -> String? {
        open(sealed, binding: key.associatedData).flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// `bytes` sealed so that they open only with this key and the same `binding`.
    public func seal(_ bytes: [UInt8], binding: Data) throws -> [UInt8] {
        let box = try AES.GCM.seal(bytes, using: key, authenticating: binding)
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return Array(combined)
    }

    /// The bytes, or nil when they were not sealed by this key with `binding`.
    public func open(_ sealed: [UInt8], binding: Data) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let opened = try? AES.GCM.open(box, using: key, authenticating: binding)
        else { return nil }
        return Array(opened)
    }
}
