import Foundation
import Logging
import NIOSSL
import SwiftASN1
import X509

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// The self-signed certificate stored in `directory`, created when missing or about to expire. The directory
    /// is made 0700 and the key file 0600; a lock on the directory keeps two servers starting at once from writing
    /// a certificate and a key that do not belong together.
    static func selfSigned(in directory: String, logger: Logger, now: Date = Date()) throws(StartupError)
        -> TLSIdentity
    {
        let certificatePath = directory + "/" + certificateFile
        let keyPath = directory + "/" + keyFile
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let lock = open(directory, O_RDONLY)
            guard lock >= 0 else { throw POSIXFailure("open", errno) }
            defer { close(lock) }
            guard flock(lock, LOCK_EX) == 0 else { throw POSIXFailure("flock", errno) }
            if let stored = try? String(contentsOfFile: certificatePath, encoding: .utf8),
                let certificate = try? Certificate(pemEncoded: stored),
                certificate.notValidAfter > now.addingTimeInterval(renewalMargin),
                FileManager.default.fileExists(atPath: keyPath)
            {
                return try load(certificate: certificatePath, key: keyPath)
            }
            let generated = try SelfSignedCertificate.generate(now: now)
            try replaceFile(keyPath, with: generated.privateKeyPEM, mode: 0o600)
            try replaceFile(certificatePath, with: generated.certificatePEM, mode: 0o644)
            logger.notice(
                "created a self-signed TLS certificate for localhost", metadata: ["certificate": "\(certificatePath)"])
            return try load(certificate: certificatePath, key: keyPath)
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError(
                "cannot create a self-signed TLS certificate in \(directory) (\(error)); "
                    + "set --data-dir, pass --tls-cert and --tls-key, or turn HTTPS off with --https-port 0")
        }
    }

    /// Writes a new file beside `path` with exactly `mode`, then renames it over `path`: a reader sees the old file
    /// or the whole new one, and the key is never readable by others, not even for a moment.
    private static func replaceFile(_ path: String, with text: String, mode: mode_t) throws {
        let temporary = path + ".new"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw POSIXFailure("open \(temporary)", errno) }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw POSIXFailure("fchmod", errno) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else { throw POSIXFailure("write \(temporary)", errno) }
            offset += written
        }
        guard fsync(descriptor) == 0, rename(temporary, path) == 0 else { throw POSIXFailure("rename \(path)", errno) }
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
