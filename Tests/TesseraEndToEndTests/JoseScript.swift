import Foundation

/// The Python scripts of Tests/jose, where a third-party JOSE library (PyJWT) signs and verifies what the server must
/// accept and make.
enum JoseScript {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs Tests/`folder`/`name` with `arguments` on a thread of its own; its standard output, or `Failure` with its
    /// standard error when it exits non-zero.
    static func run(_ name: String, _ arguments: [String], folder: String = "jose") async throws -> Data {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("\(folder)/\(name)").path
        return try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script] + arguments
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
