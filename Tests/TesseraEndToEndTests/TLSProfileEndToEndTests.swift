import Foundation
import Testing

/// What the HTTPS listener offers, asked with `openssl s_client` one protocol and one suite at a time: TLS 1.3, and
/// TLS 1.2 with ECDHE and an AEAD cipher only; no static RSA key exchange, no CBC, no SHA-1, nothing older.
@Suite("TLS profile, end to end")
struct TLSProfileEndToEndTests {
    /// The TLS 1.2 suites the server must accept, per key type, in OpenSSL's names.
    static let accepted = [
        "ec": ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"],
        "rsa": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"],
    ]

    @Test(
        "TLS 1.2 accepts exactly the ECDHE AEAD suites of the key; TLS 1.3 is accepted; TLS 1.1 and 1.0 are refused",
        arguments: ["ec", "rsa"])
    func offered(_ keyType: String) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-profile-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.makeCertificate(keyType, in: directory)

        let httpsPort = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-profile-\(httpsPort).log")
        let server = try TesseraBinary.serve(
            [
                "--port", "0", "--https-port", "\(httpsPort)", "--tls-cert", "\(directory)/server.crt", "--tls-key",
                "\(directory)/server.key",
            ], databaseURL: try await TesseraBinary.migratedDatabaseURL(), log: log)
        defer { if server.isRunning { server.terminate() } }
        try await Curl.waitUntilServing(
            "https://127.0.0.1:\(httpsPort)/health/live", ["-k"], server: server, log: log)

        // Every TLS 1.2 suite this OpenSSL knows, offered alone, with the client's own floor lowered so that the
        // server is the one refusing.
        // Dozens of openssl runs: on a thread of their own, not the concurrency pool's (`offThePool`).
        let handshakes = try await offThePool {
            try Self.openSSLTLS12Suites().map {
                ($0, try Self.handshake(port: httpsPort, ["-tls1_2", "-cipher", $0 + ":@SECLEVEL=0"]))
            }
        }
        var acceptedSuites: [String] = []
        for (suite, handshake) in handshakes where handshake.succeeded {
            #expect(handshake.cipher == suite, "\(suite): \(handshake.output)")
            acceptedSuites.append(suite)
        }
        #expect(acceptedSuites.sorted() == Self.accepted[keyType]?.sorted(), "accepted: \(acceptedSuites)")

        let modern = try Self.handshake(port: httpsPort, ["-tls1_3"])
        #expect(modern.succeeded && modern.protocolVersion == "TLSv1.3", "\(modern.output)")
        for old in ["-tls1_1", "-tls1"] {
            let refused = try Self.handshake(port: httpsPort, [old, "-cipher", "DEFAULT:@SECLEVEL=0"])
            #expect(!refused.succeeded, "\(old) was accepted: \(refused.output)")
        }

        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    /// A self-signed certificate for localhost with a P-256 (`ec`) or a 2048-bit RSA (`rsa`) key.
    static func makeCertificate(_ keyType: String, in directory: String) throws {
        let key = keyType == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"]
        let made = try openssl(
            ["req", "-x509"] + key + [
                "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", "\(directory)/server.key", "-out",
                "\(directory)/server.crt",
            ])
        try #require(made.status == 0, "openssl req: \(made.output)")
    }

    /// OpenSSL's names of the suites it can offer in TLS 1.2, at any security level.
    static func openSSLTLS12Suites() throws -> [String] {
        let listed = try openssl(["ciphers", "-tls1_2", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"])
        try #require(listed.status == 0, "openssl ciphers: \(listed.output)")
        // The list starts with TLS 1.3's suites (TLS_AES_128_GCM_SHA256, ...), which `-cipher` does not take.
        let suites = listed.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").map(
            String.init
        )
        .filter { !$0.hasPrefix("TLS_") }
        try #require(suites.count > 20, "too few suites to tell anything: \(suites)")
        return suites
    }

    struct Handshake: Sendable {
        let output: String
        /// From s_client's `New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256`; nil when no session began
        /// (`New, (NONE), Cipher is (NONE)`).
        let protocolVersion: String?
        let cipher: String?

        var succeeded: Bool { protocolVersion != nil && cipher != nil }
    }

    /// One handshake with `openssl s_client`, which ends once it is done as its standard input is empty.
    static func handshake(port: Int, _ arguments: [String]) throws -> Handshake {
        let result = try openssl(["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost"] + arguments)
        let session = result.output.split(separator: "\n").first { $0.hasPrefix("New, ") }?
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let version = session.flatMap { $0.count == 3 && $0[1] != "(NONE)" ? $0[1] : nil }
        let cipher = session.flatMap {
            $0.count == 3 && $0[2] != "Cipher is (NONE)" ? String($0[2].dropFirst(10)) : nil
        }
        return Handshake(
            output: result.output, protocolVersion: result.status == 0 ? version : nil,
            cipher: result.status == 0 ? cipher : nil)
    }

    /// Runs the system's openssl with empty standard input; standard output and error together.
    static func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
