import Foundation
import Logging
import NIOSSL
import SwiftASN1
import X509

/// The certificate chain and key the HTTPS listener presents: the operator's PEM files, or a self-signed
/// certificate for localhost that `serve` creates in its data directory on the first start and reuses afterwards.
struct TLSIdentity {
    static let certificateFile = "tls-certificate.pem"
    static let keyFile = "tls-key.pem"
    /// A stored self-signed certificate this close to its end is replaced.
    static let renewalMargin: TimeInterval = 7 * 86_400

    let certificateChain: [NIOSSLCertificate]
    let privateKey: NIOSSLPrivateKey

    /// The operator's certificate chain and key, PEM.
    static func load(certificate: String, key: String) throws(StartupError) -> TLSIdentity {
        do {
            return TLSIdentity(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate),
                privateKey: try NIOSSLPrivateKey(file: key, format: .pem))
        } catch {
            throw StartupError("cannot load the TLS certificate \(certificate) and key \(key): \(error)")
        }
    }

    /// The self-signed certificate stored in `directory`, created when missing or about to expire; the key file is
    /// 0600.
    static func selfSigned(in directory: String, logger: Logger, now: Date = Date()) throws(StartupError)
        -> TLSIdentity
    {
        let folder = DataDirectory(path: directory)
        let certificatePath = folder.file(certificateFile)
        let keyPath = folder.file(keyFile)
        do {
            return try folder.withLock {
                if let stored = try? String(contentsOfFile: certificatePath, encoding: .utf8),
                    let certificate = try? Certificate(pemEncoded: stored),
                    certificate.notValidAfter > now.addingTimeInterval(renewalMargin),
                    FileManager.default.fileExists(atPath: keyPath)
                {
                    return try load(certificate: certificatePath, key: keyPath)
                }
                let generated = try SelfSignedCertificate.generate(now: now)
                try folder.replaceFile(keyFile, with: generated.privateKeyPEM, mode: 0o600)
                try folder.replaceFile(certificateFile, with: generated.certificatePEM, mode: 0o644)
                logger.notice(
                    "created a self-signed TLS certificate for localhost",
                    metadata: ["certificate": "\(certificatePath)"])
                return try load(certificate: certificatePath, key: keyPath)
            }
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError(
                "cannot create a self-signed TLS certificate in \(directory) (\(error)); "
                    + "set --data-dir, pass --tls-cert and --tls-key, or turn HTTPS off with --https-port 0")
        }
    }

    /// TLS 1.2's suites: ECDHE key exchange (forward secrecy) with an AEAD cipher, for ECDSA and RSA keys. Static
    /// RSA key exchange, CBC and SHA-1 are left out; TLS 1.3's suites are all of this kind and not configurable.
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// A server configuration: TLS 1.2 with `tls12CipherSuites` or TLS 1.3, HTTP/1.1 announced over ALPN.
    func serverConfiguration() throws(StartupError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = Self.tls12CipherSuites
        configuration.applicationProtocols = ["http/1.1"]
        // Built here once, so that a key that does not fit the certificate stops the start with a reason.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw StartupError("the TLS certificate and key cannot be used together: \(error)")
        }
        return configuration
    }
}
