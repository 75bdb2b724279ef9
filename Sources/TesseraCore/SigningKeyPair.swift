import Crypto
import Foundation
import _CryptoExtras

/// A private signing key of a tenant and the public JWK that verifies it, made by the server: ES256 on P-256, EdDSA on
/// Ed25519, RS256 on RSA 2048.
///
/// The swift-crypto key is built once when the key is loaded and kept: building a P-256 key from its bytes costs a
/// scalar multiplication, as much as a signature. swift-crypto 3's key types do not declare `Sendable`; they are
/// immutable values over BoringSSL keys that sign concurrently without shared mutable state, hence the unchecked box.
public struct SigningKeyPair: Sendable {
    public let algorithm: SigningAlgorithm
    private let box: Box

    private final class Box: @unchecked Sendable {
        let key: PrivateKey
        init(_ key: PrivateKey) { self.key = key }
    }

    private enum PrivateKey {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    private init(algorithm: SigningAlgorithm, key: PrivateKey) {
        self.algorithm = algorithm
        self.box = Box(key)
    }

    /// A new random key.
    public static func generate(_ algorithm: SigningAlgorithm) throws -> SigningKeyPair {
        switch algorithm {
        case .es256: SigningKeyPair(algorithm: algorithm, key: .p256(P256.Signing.PrivateKey()))
        case .edDSA: SigningKeyPair(algorithm: algorithm, key: .ed25519(Curve25519.Signing.PrivateKey()))
        case .rs256:
            SigningKeyPair(algorithm: algorithm, key: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        }
    }

    /// A stored key from `privateKeyBytes`; nil when the bytes are not a key of `algorithm`.
    public init?(algorithm: SigningAlgorithm, privateKeyBytes bytes: [UInt8]) {
        switch algorithm {
        case .es256:
            guard let key = try? P256.Signing.PrivateKey(rawRepresentation: bytes) else { return nil }
            self.init(algorithm: algorithm, key: .p256(key))
        case .edDSA:
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else { return nil }
            self.init(algorithm: algorithm, key: .ed25519(key))
        case .rs256:
            guard let key = try? _RSA.Signing.PrivateKey(derRepresentation: bytes) else { return nil }
            self.init(algorithm: algorithm, key: .rsa(key))
        }
    }

    /// The private key's bytes, to be sealed under the server key before they are stored: the raw scalar for P-256
    /// and Ed25519, PKCS #1 DER for RSA.
    public var privateKeyBytes: [UInt8] {
        switch box.key {
        case .p256(let key): Array(key.rawRepresentation)
        case .ed25519(let key): Array(key.rawRepresentation)
        case .rsa(let key): Array(key.derRepresentation)
        }
    }

    /// The JWS signature over `input` (RFC 7515 §5.1): for ES256 the 64-byte `r || s` of RFC 7518 §3.4, not DER.
    /// The digest is taken here from the contiguous bytes: swift-crypto's generic hashing of a `DataProtocol` cost
    /// 2 µs of a JWT.
    public func sign(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        switch box.key {
        case .p256(let key): Array(try key.signature(for: Self.sha256(input)).rawRepresentation)
        case .ed25519(let key): Array(try key.signature(for: input))
        case .rsa(let key):
            Array(
                try key.signature(for: Self.sha256(input), padding: .insecurePKCS1v1_5)
                    .rawRepresentation)
        }
    }

    private static func sha256(_ input: UnsafeRawBufferPointer) -> SHA256.Digest {
        var hash = SHA256()
        hash.update(bufferPointer: input)
        return hash.finalize()
    }

    /// The public key as a JWK object (RFC 7517, RFC 7518 §6, RFC 8037 §2) with `kid`, `alg` and `use: sig`, members
    /// in a fixed order so that the key set's text (and its ETag) is the same on every instance.
    public func publicJWK(kid: String) -> String {
        var members: [(String, String)]
        switch box.key {
        case .p256(let key):
            // x963: 0x04 || x || y, each coordinate 32 bytes.
            let point = Array(key.publicKey.x963Representation)
            members = [
                ("kty", "EC"), ("crv", "P-256"), ("x", Base64URL.encode(point[1..<33])),
                ("y", Base64URL.encode(point[33...])),
            ]
        case .ed25519(let key):
            members = [("kty", "OKP"), ("crv", "Ed25519"), ("x", Base64URL.encode(key.publicKey.rawRepresentation))]
        case .rsa(let key):
            let primitives = try? key.publicKey.getKeyPrimitives()
            members = [
                ("kty", "RSA"), ("n", Base64URL.encode(primitives?.modulus ?? Data())),
                ("e", Base64URL.encode(primitives?.publicExponent ?? Data())),
            ]
        }
        members += [("kid", kid), ("alg", algorithm.name), ("use", "sig")]
        var text = "{"
        for (index, (name, value)) in members.enumerated() {
            if index > 0 { text += "," }
            JSONString.append(name, to: &text)
            text += ":"
            JSONString.append(value, to: &text)
        }
        return text + "}"
    }
}
