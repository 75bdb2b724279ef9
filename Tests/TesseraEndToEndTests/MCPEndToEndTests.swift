import Foundation
import Testing

/// The official MCP Python SDK (Tests/mcp/) against the built binary: an MCP server made with the SDK's own
/// resource-server parts, protected by a tenant of Tessera, and the SDK's OAuth clients with their defaults.
@Suite("MCP SDK end to end")
struct MCPEndToEndTests {
    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("mcp")
    }

    @Test(
        "the SDK's authorization code client (registered public client, and metadata document) and its client-credentials client reach a protected MCP server"
    )
    func sdkClients() async throws {
        let python = try #require(
            ProcessInfo.processInfo.environment["TESSERA_MCP_PYTHON"],
            "TESSERA_MCP_PYTHON is not set: run the suite with deploy/test.sh, which installs the MCP SDK")
        // The SDK takes only an https document URL: the document is served with a certificate Tessera is told to trust.
        let certificates = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tessera-mcp-\(UInt32.random(in: 0...UInt32.max))")
        _ = try await PythonScript.run(
            "mcp_sdk_flow.py", ["make-cert", certificates.path], folder: "mcp", python: python)
        let session = try await AdminSession.start(
            "mcp-sdk",
            serve: [
                "--fetch-allowed-hosts", "127.0.0.1,localhost", "--fetch-ca-file",
                certificates.appendingPathComponent("cimd-cert.pem").path,
            ])
        defer { session.stop() }
        let (domain, database) = ("mcp-\(session.suffix).example", session.database)
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        _ = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "alice", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: "mcp password")
        let port = try TesseraBinary.freePort()
        let mcpURL = "http://127.0.0.1:\(port)/mcp"
        _ = try await TesseraBinary.run(
            ["resource", "add", "--tenant", domain, mcpURL, "--name", "MCP test server"], databaseURL: database)
        _ = try await TesseraBinary.run(
            ["tenant", "client-documents", domain, "--scopes", "mcp:tools"], databaseURL: database)
        func create(_ arguments: [String]) async throws -> (key: String, secret: String?) {
            let made = try await TesseraBinary.run(
                ["app", "create", "--tenant", domain] + arguments + ["--json"], databaseURL: database)
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any], "\(made.error)")
            return (try #require(object["consumer_key"] as? String), object["consumer_secret"] as? String)
        }
        let scopes = ["--scopes", "mcp:tools", "--default-scopes", "mcp:tools"]
        let publicClient = try await create(
            [
                "--name", "public-mcp", "--public", "--grant-types", "authorization_code,refresh_token",
                "--redirect-uris", "http://127.0.0.1/callback",
            ] + scopes)
        let machine = try await create(
            ["--name", "cc-mcp", "--grant-types", "client_credentials", "--resources", mcpURL] + scopes)
        let resourceServer = try await create(["--name", "rs-mcp", "--introspect-any"])

        let issuer = "http://localhost:\(session.client.port)/t/\(domain)"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: python)
        server.arguments = [
            Self.folder.appendingPathComponent("protected_server.py").path, "\(port)", issuer, resourceServer.key,
            try #require(resourceServer.secret),
        ]
        let announced = Pipe()
        server.standardOutput = announced
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        let ready = try await offThePool { () -> Bool in
            var seen = ""
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !seen.contains("READY") {
                let data = announced.fileHandleForReading.availableData
                if data.isEmpty { break }
                seen += String(decoding: data, as: UTF8.self)
            }
            return seen.contains("READY")
        }
        #expect(ready, "the MCP server did not start")

        let printed = try await PythonScript.run(
            "mcp_sdk_flow.py",
            [
                "--issuer", issuer, "--username", "alice", "--password", "mcp password",
                "--public-client-id", publicClient.key, "--cc-client-id", machine.key,
                "--cc-client-secret", try #require(machine.secret), "--mcp-url", mcpURL,
                "--cimd-cert", certificates.appendingPathComponent("cimd-cert.pem").path,
                "--cimd-key", certificates.appendingPathComponent("cimd-key.pem").path,
            ], folder: "mcp", python: python)
        let result = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        for name in ["preregistered", "client_document", "client_credentials"] {
            let outcome = try #require(result[name] as? [String: Any], "\(name): \(result)")
            #expect(outcome["ok"] as? Bool == true, "\(name): \(outcome)")
            let tool = outcome["tool_result"] as? [String: Any] ?? [:]
            #expect(tool["audience"] as? String == mcpURL, "\(name): \(tool)")
            #expect(tool["issuer"] as? String == issuer, "\(name): \(tool)")
        }
        let preregistered = result["preregistered"] as? [String: Any] ?? [:]
        #expect((preregistered["tool_result"] as? [String: Any])?["username"] as? String == "alice")
        #expect((preregistered["after_expiry"] as? [String: Any])?["refreshed"] as? Bool == true, "\(preregistered)")
        let document = result["client_document"] as? [String: Any] ?? [:]
        #expect(
            (document["tool_result"] as? [String: Any])?["client_id"] as? String
                == document["client_metadata_url"] as? String, "\(document)")
        #expect(document["document_fetches"] as? Int == 1, "\(document)")
        let machineRun = result["client_credentials"] as? [String: Any] ?? [:]
        #expect((machineRun["tool_result"] as? [String: Any])?["subject"] as? String == machine.key, "\(machineRun)")
    }
}
