import Foundation
import Logging
import Testing

@testable import TesseraServer

@Suite("TLS identity: the self-signed certificate in the data directory")
struct TLSIdentityTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-tls-\(UInt32.random(in: 0...UInt32.max))/data").path
    }

    static var logger: Logger {
        var logger = Logger(label: "tessera.tests")
        logger.logLevel = .critical
        return logger
    }

    @Test("created on first use (directory 0700, key 0600), reused byte for byte afterwards")
    func createdThenReused() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let first = try TLSIdentity.selfSigned(in: directory, logger: Self.logger)
        _ = try first.serverConfiguration()
        let attributes = { (path: String) in
            try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        }
        #expect(try attributes(directory) == 0o700)
        #expect(try attributes(directory + "/tls-key.pem") == 0o600)
        let certificate = try Data(contentsOf: URL(fileURLWithPath: directory + "/tls-certificate.pem"))
        let key = try Data(contentsOf: URL(fileURLWithPath: directory + "/tls-key.pem"))
        _ = try TLSIdentity.selfSigned(in: directory, logger: Self.logger)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/tls-certificate.pem")) == certificate)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/tls-key.pem")) == key)
    }

    @Test("a stored certificate near its end is replaced")
    func renewedBeforeExpiry() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let yearAgo = Date().addingTimeInterval(-SelfSignedCertificate.validity + 86_400)
        _ = try TLSIdentity.selfSigned(in: directory, logger: Self.logger, now: yearAgo)
        let old = try Data(contentsOf: URL(fileURLWithPath: directory + "/tls-certificate.pem"))
        _ = try TLSIdentity.selfSigned(in: directory, logger: Self.logger)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/tls-certificate.pem")) != old)
    }

    @Test("a data directory that cannot be created is one reason naming the ways out")
    func unwritableDirectory() throws {
        #expect {
            _ = try TLSIdentity.selfSigned(in: "/proc/tessera-cannot-be-here", logger: Self.logger)
        } throws: { error in
            "\(error)".contains("--https-port 0") && !"\(error)".contains("\n")
        }
    }
}
