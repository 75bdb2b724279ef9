import Crypto
import Foundation

/// Seals tokens that must be handed out again (token reuse) with AES-256-GCM under a key only the servers hold,
/// so that a copy of the database alone is not enough to use any token. Each sealed token is bound to its reuse
/// key: moved to another application's row, it no longer opens.
public struct TokenSealer: Sendable {
    /// The raw key: `SymmetricKey` is not `Sendable` in swift-crypto 3, so one is made per use (a copy of 32 bytes).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A key from its base64 form (32 bytes); nil for anything else.
    public init?(base64 text: String) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32
        else { return nil }
        self.keyBytes = Array(data)
    }

    /// A new random key in base64, for `TESSERA_TOKEN_KEY`.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    public func seal(_ token: String, for key: ReuseKey) throws -> [UInt8] {
        let box = try AES.GCM.seal(Data(token.utf8), using: self.key, authenticating: key.associatedData)
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return Array(combined)
    }

    /// The token, or nil when the bytes were not sealed by this key for `key`.
    public func open(_ sealed: [UInt8], for key: ReuseKey) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: Data(sealed)),
            let token = try? AES.GCM.open(box, using: self.key, authenticating: key.associatedData)
        else { return nil }
        return String(data: token, encoding: .utf8)
    }
}

/// What makes two token requests ask for the same token: tenant, application, subject (with its kind) and scopes.
public struct ReuseKey: Sendable, Hashable {
    public let tenantID: Tenant.ID
    public let applicationID: ClientApplication.ID
    public let subject: TokenSubject
    public let scopes: ScopeSet

    public init(tenantID: Tenant.ID, applicationID: ClientApplication.ID, subject: TokenSubject, scopes: ScopeSet) {
        self.tenantID = tenantID
        self.applicationID = applicationID
        self.subject = subject
        self.scopes = scopes
    }

    /// The kind is a fixed word before the name, so a client and a user of the same name bind differently.
    var associatedData: Data {
        Data("\(tenantID)\u{0}\(applicationID)\u{0}\(subject.kind)\u{0}\(subject.name)\u{0}\(scopes.description)".utf8)
    }
}
