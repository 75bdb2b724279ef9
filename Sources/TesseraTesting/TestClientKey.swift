import Crypto
import Foundation
import Synchronization
import TesseraCore
import _CryptoExtras

/// A client's key pair for `private_key_jwt` tests: its public JWK, and assertions signed with its private key.
public struct TestClientKey: Sendable {
    public enum Kind: Sendable {
        case es256
        case edDSA
        case rs256
        case ps256
    }

    /// The EC keys as their raw bytes: swift-crypto's key types are not Sendable here.
    private enum Private: Sendable {
        case p256(Data)
        case ed25519(Data)
        case rsa(_RSA.Signing.PrivateKey)
    }

    public let kind: Kind
    public let kid: String
    private let key: Private

    public init(_ kind: Kind, kid: String = UUID().uuidString) {
        self.kind = kind
        self.kid = kid
        switch kind {
        case .es256: key = .p256(P256.Signing.PrivateKey().rawRepresentation)
        case .edDSA: key = .ed25519(Curve25519.Signing.PrivateKey().rawRepresentation)
        // 2048 bits, the least the server accepts; generating it takes a fraction of a second.
        case .rs256, .ps256: key = .rsa(Self.must { try _RSA.Signing.PrivateKey(keySize: .bits2048) })
        }
    }

    public var algorithm: String {
        switch kind {
        case .es256: "ES256"
        case .edDSA: "EdDSA"
        case .rs256: "RS256"
        case .ps256: "PS256"
        }
    }

    /// The public JWK, with `kid` (and `alg` when `naming`).
    public func publicJWK(namingAlgorithm: Bool = false) -> [String: String] {
        var jwk = Self.must { try publicMembers() }
        jwk["kid"] = kid
        if namingAlgorithm { jwk["alg"] = algorithm }
        return jwk
    }

    private func publicMembers() throws -> [String: String] {
        let jwk: [String: String]
        switch key {
        case .p256(let key):
            let raw = try P256.Signing.PrivateKey(rawRepresentation: key).publicKey.rawRepresentation
            jwk = [
                "kty": "EC", "crv": "P-256", "x": Base64URL.encode(raw.prefix(32)),
                "y": Base64URL.encode(raw.suffix(32)),
            ]
        case .ed25519(let key):
            let raw = try Curve25519.Signing.PrivateKey(rawRepresentation: key).publicKey.rawRepresentation
            jwk = ["kty": "OKP", "crv": "Ed25519", "x": Base64URL.encode(raw)]
        case .rsa(let key):
            let primitives = try key.publicKey.getKeyPrimitives()
            jwk = [
                "kty": "RSA", "n": Base64URL.encode(primitives.modulus),
                "e": Base64URL.encode(primitives.publicExponent),
            ]
        }
        return jwk
    }

    /// A JWK set of these keys' public halves, as the operator registers it.
    public static func jwks(_ keys: [TestClientKey]) -> String {
        let data = must {
            try JSONSerialization.data(withJSONObject: ["keys": keys.map { $0.publicJWK() }], options: [.sortedKeys])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A compact JWS over `claims` with this key; `header` members replace the defaults (`alg`, `kid`).
    public func sign(_ claims: [String: Any], header: [String: Any] = [:]) -> String {
        Self.must { try signing(claims, header: header) }
    }

    private func signing(_ claims: [String: Any], header: [String: Any]) throws -> String {
        var fullHeader: [String: Any] = ["alg": algorithm, "kid": kid]
        fullHeader.merge(header) { $1 }
        let input =
            Base64URL.encode(try JSONSerialization.data(withJSONObject: fullHeader, options: [.sortedKeys])) + "."
            + Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let data = Data(input.utf8)
        let signature: Data
        switch key {
        case .p256(let key):
            signature = try P256.Signing.PrivateKey(rawRepresentation: key).signature(for: data).rawRepresentation
        case .ed25519(let key):
            signature = try Curve25519.Signing.PrivateKey(rawRepresentation: key).signature(for: data)
        case .rsa(let key):
            signature = try key.signature(
                for: SHA256.hash(data: data), padding: kind == .ps256 ? .PSS : .insecurePKCS1v1_5
            ).rawRepresentation
        }
        return input + "." + Base64URL.encode(signature)
    }

    /// The claims RFC 7523 asks for, valid now at `audience` for `client`, with a fresh `jti`.
    public static func claims(client: String, audience: String, now: Date, lifetime: TimeInterval = 60)
        -> [String: Any]
    {
        [
            "iss": client, "sub": client, "aud": audience, "jti": UUID().uuidString,
            "iat": Int(now.timeIntervalSince1970), "exp": Int(now.timeIntervalSince1970 + lifetime),
        ]
    }

    /// Key generation and signing fail only on a programming error in the test: stop there, with the reason.
    private static func must<Value>(_ body: () throws -> Value) -> Value {
        do {
            return try body()
        } catch {
            preconditionFailure("test client key: \(error)")
        }
    }
}

/// The used assertion ids in memory, for tests of one server.
public final class InMemoryClientAssertionLedger: ClientAssertionLedger {
    private let used = Mutex<[[UInt8]: Date]>([:])

    public init() {}

    public func use(
        _ idHash: [UInt8], tenantID: Tenant.ID, applicationID: ClientApplication.ID, until expiresAt: Date
    ) async throws -> Bool {
        used.withLock { used in
            let key =
                withUnsafeBytes(of: tenantID) { Array($0) } + withUnsafeBytes(of: applicationID) { Array($0) }
                + idHash
            guard used[key] == nil else { return false }
            used[key] = expiresAt
            return true
        }
    }
}
