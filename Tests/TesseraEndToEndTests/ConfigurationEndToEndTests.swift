import Foundation
import Testing

/// Every `serve` option has an environment variable, named in `--help` and in the table of docs/operations.md; the variables
/// work, options win over them, and a value that does not parse stops the start with one line.
@Suite("serve configuration, end to end")
struct ConfigurationEndToEndTests {
    static let operationsPage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/operations.md")

    @Test("each option in serve --help names its variable, and the options table of docs/operations.md lists both")
    func documented() async throws {
        let help = try await TesseraBinary.run(["serve", "--help"], databaseURL: nil)
        #expect(help.status == 0)
        // ArgumentParser wraps help text; join each option's lines before looking for "env:".
        var options: [(name: String, text: String)] = []
        for line in help.output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") {
                options.append((String(trimmed.split(separator: " ")[0]), trimmed))
            } else if !options.isEmpty, line.hasPrefix("   ") {
                options[options.count - 1].text += " " + trimmed
            }
        }
        options.removeAll { $0.name == "--help" }
        #expect(options.count >= 18, "\(options.map(\.name))")
        let table = try String(contentsOf: Self.operationsPage, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("| `--") }
        for option in options {
            let variable = option.text.firstMatch(of: /env: ([A-Z_]+)/)?.1
            #expect(variable != nil, "\(option.name) names no environment variable")
            guard let variable else { continue }
            #expect(
                table.contains { $0.hasPrefix("| `\(option.name)` | `\(variable)` |") },
                "docs/operations.md's serve table lacks \(option.name) with \(variable)")
        }
    }

    @Test("variables configure serve; an option wins over its variable")
    func environment() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let (ignored, port, metricsPort) = (
            try TesseraBinary.freePort(), try TesseraBinary.freePort(), try TesseraBinary.freePort()
        )
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-env-\(port).log")
        let server = try TesseraBinary.serve(
            ["--port", "\(port)"], databaseURL: database, log: log,
            environment: [
                "TESSERA_PORT": "\(ignored)", "TESSERA_METRICS_PORT": "\(metricsPort)", "TESSERA_LOG_FORMAT": "json",
            ])
        defer { if server.isRunning { server.terminate() } }
        try await TokenClient(port: port).waitUntilServing()
        #expect(try await TokenClient(port: metricsPort).get("/metrics").status == 200)
        #expect((try? await TokenClient(port: ignored).get("/health/live")) == nil)
        server.terminate()
        server.waitUntilExit()
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
    }

    @Test(
        "a setting that cannot work: exit 1 with one line naming it",
        arguments: [
            (["TESSERA_PORT": "abc"], [String](), "TESSERA_PORT"),
            (["TESSERA_LOG_FORMAT": "xml"], [], "TESSERA_LOG_FORMAT"),
            (["TESSERA_LOG_LEVEL": "loud"], [], "TESSERA_LOG_LEVEL"),
            ([:], ["--port", "0", "--https-port", "0"], "nothing to serve"),
            ([:], ["--port", "9999", "--metrics-port", "9999"], "must differ"),
            (["TESSERA_TLS_CERT": "/nonexistent.pem"], ["--https-port", "18243"], "--tls-key"),
            ([:], ["--https-port", "70000"], "65535"),
        ])
    func refused(_ environment: [String: String], _ arguments: [String], _ named: String) async throws {
        let result = try await TesseraBinary.run(
            ["serve"] + arguments, databaseURL: try TesseraBinary.databaseURL(), environment: environment)
        #expect(result.status == 1)
        let lines = result.error.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains(named) == true, "\(result.error)")
    }
}
