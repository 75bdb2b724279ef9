import Foundation
import Testing

/// `serve --https-port`: the same routes over TLS 1.2 or later, with a self-signed certificate for localhost that
/// the first start creates in the data directory and later starts reuse.
@Suite("HTTPS, end to end")
struct HTTPSEndToEndTests {
    struct Created: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    @Test(
        "a token over HTTPS with curl; the certificate and the server key are reused on the next start; TLS 1.1 is refused"
    )
    func httpsJourney() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "tls-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let created = try await TesseraBinary.run(
            ["app", "create", "--tenant", domain, "--name", "tls", "--json"], databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let app = try JSONDecoder().decode(Created.self, from: Data(created.output.utf8))
        let basic = "Basic " + Data("\(app.consumer_key):\(app.consumer_secret)".utf8).base64EncodedString()
        // Token reuse needs the server key: with none given, the one the first start makes in the data directory.
        let reusing = try await TesseraBinary.run(
            ["app", "create", "--tenant", domain, "--name", "reuse", "--token-reuse", "active", "--json"],
            databaseURL: database)
        try #require(reusing.status == 0, "app create: \(reusing.error)")
        let reuseApp = try JSONDecoder().decode(Created.self, from: Data(reusing.output.utf8))
        let reuseBasic =
            "Basic " + Data("\(reuseApp.consumer_key):\(reuseApp.consumer_secret)".utf8).base64EncodedString()
        func reusedToken(_ port: Int) async throws -> String? {
            let answer = try await Curl.run([
                "-k", "-d", "grant_type=client_credentials", "-H", "Authorization: \(reuseBasic)",
                "https://127.0.0.1:\(port)/t/\(domain)/token",
            ])
            let body = try JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any]
            return body?["access_token"] as? String
        }

        let dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-data-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let certificateFile = dataDirectory + "/tls-certificate.pem"
        let keyFile = dataDirectory + "/tls-key.pem"

        // First start: plain HTTP and HTTPS side by side; the certificate is created.
        let (port, httpsPort) = (try TesseraBinary.freePort(), try TesseraBinary.freePort())
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tls-\(httpsPort).log")
        let first = try TesseraBinary.serve(
            ["--port", "\(port)", "--https-port", "\(httpsPort)", "--data-dir", dataDirectory], databaseURL: database,
            log: log)
        defer { if first.isRunning { first.terminate() } }
        try await TokenClient(port: port).waitUntilServing()

        let token = try await Curl.run([
            "-k", "-d", "grant_type=client_credentials", "-H", "Authorization: \(basic)",
            "https://127.0.0.1:\(httpsPort)/t/\(domain)/token",
        ])
        #expect(token.status == 0, "\(token.error)")
        let body = try JSONSerialization.jsonObject(with: Data(token.output.utf8)) as? [String: Any]
        #expect((body?["access_token"] as? String)?.hasPrefix("tsr_at_") == true, "\(token.output)")

        // The certificate names localhost: a client that trusts this one file verifies the server.
        let verified = try await Curl.run(["--cacert", certificateFile, "https://localhost:\(httpsPort)/health/live"])
        #expect(verified.status == 0 && verified.output.contains("live"), "\(verified.error)")
        let keyMode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let certificate = try Data(contentsOf: URL(fileURLWithPath: certificateFile))
        let serverKeyFile = dataDirectory + "/server-key"
        #expect(try FileManager.default.attributesOfItem(atPath: serverKeyFile)[.posixPermissions] as? Int == 0o600)
        let serverKey = try Data(contentsOf: URL(fileURLWithPath: serverKeyFile))
        let firstReused = try await reusedToken(httpsPort)
        #expect(firstReused != nil)

        // A client that offers at most TLS 1.1 (its own floor lowered, so that the server is the one refusing).
        let old = try await Curl.run([
            "-k", "-v", "--tls-max", "1.1", "--ciphers", "DEFAULT:@SECLEVEL=0",
            "https://127.0.0.1:\(httpsPort)/health/live",
        ])
        #expect(old.status != 0)
        #expect(old.error.contains("alert protocol version"), "\(old.error)")
        #expect(!old.output.contains("live"))

        first.terminate()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)

        // Second start, HTTPS only: the same certificate file, byte for byte, and the one presented.
        let secondHTTPS = try TesseraBinary.freePort()
        let secondLog = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tls-\(secondHTTPS).log")
        let second = try TesseraBinary.serve(
            ["--port", "0", "--https-port", "\(secondHTTPS)", "--data-dir", dataDirectory], databaseURL: database,
            log: secondLog)
        defer { if second.isRunning { second.terminate() } }
        try await Curl.waitUntilServing("https://127.0.0.1:\(secondHTTPS)/health/live", ["-k"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: certificateFile)) == certificate)
        // The same server key: the token sealed by the first start opens, and is handed out again.
        #expect(try Data(contentsOf: URL(fileURLWithPath: serverKeyFile)) == serverKey)
        #expect(try await reusedToken(secondHTTPS) == firstReused)
        let reused = try await Curl.run(["--cacert", certificateFile, "https://localhost:\(secondHTTPS)/health/live"])
        #expect(reused.status == 0, "\(reused.error)")
        second.terminate()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)

        let creation = "created a self-signed TLS certificate"
        #expect(try String(contentsOf: log, encoding: .utf8).contains(creation))
        #expect(try !String(contentsOf: secondLog, encoding: .utf8).contains(creation))
    }

    @Test("a certificate and a key that do not belong together: no start, one line naming the problem")
    func mismatchedKey() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-mismatch-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["a", "b"] {
            let made = Process()
            made.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            made.arguments = [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).crt",
            ]
            made.standardOutput = FileHandle.nullDevice
            made.standardError = FileHandle.nullDevice
            try made.run()
            made.waitUntilExit()
            try #require(made.terminationStatus == 0)
        }
        let result = try await TesseraBinary.run(
            [
                "serve", "--port", "0", "--https-port", "\(try TesseraBinary.freePort())", "--tls-cert",
                "\(directory)/a.crt", "--tls-key", "\(directory)/b.key",
            ], databaseURL: try TesseraBinary.databaseURL())
        #expect(result.status != 0)
        let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(lines.count == 1 && lines.first?.contains("TLS") == true, "\(result.error)")
    }
}
