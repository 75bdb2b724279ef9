import Foundation

/// The Python scripts of the tests, where third-party libraries play the other side: PyJWT signs and verifies
/// (Tests/jose), Authlib and pyoidc are OAuth clients (Tests/oauth, Tests/dcr), Selenium drives Chromium
/// (Tests/browser), the MCP SDK connects to an MCP server (Tests/mcp).
enum PythonScript {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs Tests/`folder`/`name` with `arguments` on a thread of its own, with `python` (a venv's) or the system's
    /// python3; its standard output, or `Failure` with its standard error when it exits non-zero.
    static func run(_ name: String, _ arguments: [String], folder: String = "jose", python: String? = nil)
        async throws -> Data
    {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("\(folder)/\(name)").path
        return try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python ?? "/usr/bin/env")
            process.arguments = (python == nil ? ["python3"] : []) + [script] + arguments
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let printed = output.fileHandleForReading.readDataToEndOfFile()
            let complaint = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Failure(description: String(decoding: complaint, as: UTF8.self))
            }
            return printed
        }
    }
}
