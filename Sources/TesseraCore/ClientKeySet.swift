import Crypto
import Foundation
import _CryptoExtras

/// The public keys a client signs its assertions with (`private_key_jwt`), registered as a JWK set (RFC 7517).
///
/// Only asymmetric keys, each with the one algorithm it may verify: ES256 for P-256 keys, EdDSA for Ed25519 keys, and
/// RS256 or PS256 for RSA keys of 2048 bits or more. A key's `alg`, when present, narrows it to that algorithm. There
/// is no symmetric key type at all, so neither `none` nor an HMAC keyed with a public key can ever verify.
public struct ClientKeySet: Sendable, Hashable {
    /// The algorithms an assertion may be signed with, as discovery lists them.
    public static let algorithms = ["ES256", "EdDSA", "RS256", "PS256"]
    /// Most keys one client may register: enough for a rotation or two, few enough to try each.
    public static let maximumKeys = 10
    /// Largest JWK set accepted, in bytes.
    public static let maximumSize = 64 * 1024

    struct Key: Sendable, Hashable {
        enum Material: Sendable, Hashable {
            case p256(Data)  // x963 representation
            case ed25519(Data)
            case rsa(n: Data, e: Data)
        }
        let id: String?
        let material: Material
        /// The one algorithm this key verifies, if the JWK named it.
        let algorithm: String?

        func accepts(_ algorithm: String) -> Bool {
            if let only = self.algorithm, only != algorithm { return false }
            switch material {
            case .p256: return algorithm == "ES256"
            case .ed25519: return algorithm == "EdDSA"
            case .rsa: return algorithm == "RS256" || algorithm == "PS256"
            }
        }
    }

    let keys: [Key]
    /// The set as registered, stored back as it came (minus nothing: it holds no private part, checked).
    public let json: String

    /// Parses and checks a JWK set; the error says what is wrong, for the operator registering it.
    public init(json: String) throws(ClientKeySetError) {
        guard json.utf8.count <= Self.maximumSize else {
            throw ClientKeySetError("the JWK set is larger than \(Self.maximumSize) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let entries = object["keys"] as? [Any]
        else { throw ClientKeySetError("not a JWK set: a JSON object with a \"keys\" array is expected") }
        guard !entries.isEmpty else { throw ClientKeySetError("the JWK set has no key") }
        guard entries.count <= Self.maximumKeys else {
            throw ClientKeySetError("the JWK set has more than \(Self.maximumKeys) keys")
        }
        var keys: [Key] = []
        for (index, entry) in entries.enumerated() {
            guard let jwk = entry as? [String: Any] else {
                throw ClientKeySetError("key \(index + 1) is not an object")
            }
            keys.append(try Self.key(jwk, number: index + 1))
        }
        let ids = keys.compactMap(\.id)
        guard Set(ids).count == ids.count else { throw ClientKeySetError("two keys have the same kid") }
        self.keys = keys
        self.json = json
    }

    /// Each key's `kid`, or an empty string for a key without one, in the set's order.
    public var keyIDs: [String] { keys.map { $0.id ?? "" } }

    /// Whether `signature` over `signingInput` verifies with a key that accepts `algorithm` (the one named `kid`
    /// when given). A malformed signature verifies nothing.
    public func verifies(signature: Data, over signingInput: Data, algorithm: String, kid: String?) -> Bool {
        let candidates = keys.filter { key in key.accepts(algorithm) && (kid == nil || key.id == kid) }
        return candidates.contains { Self.verify(signature, over: signingInput, algorithm: algorithm, with: $0) }
    }

    private static func verify(_ signature: Data, over input: Data, algorithm: String, with key: Key) -> Bool {
        switch key.material {
        case .p256(let x963):
            guard let publicKey = try? P256.Signing.PublicKey(x963Representation: x963),
                let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return publicKey.isValidSignature(ecdsa, for: input)
        case .ed25519(let raw):
            guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return publicKey.isValidSignature(signature, for: input)
        case .rsa(let n, let e):
            guard let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
            let padding: _RSA.Signing.Padding = algorithm == "PS256" ? .PSS : .insecurePKCS1v1_5
            return publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: input),
                padding: padding)
        }
    }

    private static func key(_ jwk: [String: Any], number: Int) throws(ClientKeySetError) -> Key {
        func field(_ name: String) throws(ClientKeySetError) -> Data {
            guard let text = jwk[name] as? String, let bytes = Base64URL.decode(text), !bytes.isEmpty else {
                throw ClientKeySetError("key \(number) has no valid \"\(name)\"")
            }
            return bytes
        }
        // A private member means the client sent its private key: refuse it rather than keep a secret.
        for member in ["d", "p", "q", "dp", "dq", "qi", "k"] where jwk[member] != nil {
            throw ClientKeySetError(
                "key \(number) holds a private or symmetric key (\"\(member)\"); register public keys only")
        }
        if let use = jwk["use"] as? String, use != "sig" {
            throw ClientKeySetError("key \(number) is for \"\(use)\", not for signatures")
        }
        let id = jwk["kid"] as? String
        let algorithm = jwk["alg"] as? String
        if let algorithm, !algorithms.contains(algorithm) {
            throw ClientKeySetError(
                "key \(number) names algorithm \(algorithm); accepted: \(algorithms.joined(separator: ", "))")
        }
        let material: Key.Material
        switch (jwk["kty"] as? String, jwk["crv"] as? String) {
        case ("EC", "P-256"):
            let (x, y) = (try field("x"), try field("y"))
            let x963 = Data([0x04]) + x + y
            guard x.count == 32, y.count == 32, (try? P256.Signing.PublicKey(x963Representation: x963)) != nil else {
                throw ClientKeySetError("key \(number) is not a valid P-256 public key")
            }
            material = .p256(x963)
        case ("OKP", "Ed25519"):
            let x = try field("x")
            guard (try? Curve25519.Signing.PublicKey(rawRepresentation: x)) != nil else {
                throw ClientKeySetError("key \(number) is not a valid Ed25519 public key")
            }
            material = .ed25519(x)
        case ("RSA", _):
            let (n, e) = (try field("n"), try field("e"))
            // swift-crypto takes smaller moduli from their primitives; RFC 7518 §3.3 asks for 2048 bits at least.
            guard n.drop(while: { $0 == 0 }).count >= 256, (try? _RSA.Signing.PublicKey(n: n, e: e)) != nil else {
                throw ClientKeySetError("key \(number) is not an RSA public key of 2048 bits or more")
            }
            material = .rsa(n: n, e: e)
        case (let type, let curve):
            throw ClientKeySetError(
                "key \(number) is \(type ?? "of no kty")\(curve.map { " \($0)" } ?? ""); accepted: EC P-256, OKP Ed25519, RSA"
            )
        }
        let key = Key(id: id, material: material, algorithm: algorithm)
        if let algorithm, !key.accepts(algorithm) {
            throw ClientKeySetError("key \(number) cannot verify \(algorithm)")
        }
        return key
    }
}

/// Why a JWK set was refused, for the operator.
public struct ClientKeySetError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
