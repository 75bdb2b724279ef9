import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate for `localhost`, `127.0.0.1` and `::1`, signed with its own P-256 key: what `serve` presents on
/// its HTTPS port when the operator configured no certificate, so that development and tests speak TLS without a
/// certificate authority. Clients must be told to trust it (`curl --cacert`, or `-k`).
struct SelfSignedCertificate: Sendable {
    static let validity: TimeInterval = 365 * 86_400

    let certificatePEM: String
    let privateKeyPEM: String

    static func generate(now: Date = Date()) throws -> SelfSignedCertificate {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            OrganizationName("Tessera development")
            CommonName("localhost")
        }
        let loopbackV6: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            // A few minutes back, so that a client whose clock is slightly behind accepts it at once.
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: loopbackV6[...])),
                ])
            },
            issuerPrivateKey: privateKey)
        return SelfSignedCertificate(
            certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation)
    }
}
