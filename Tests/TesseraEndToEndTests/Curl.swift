import Foundation
import Testing

/// The system's curl, for what TokenClient does not speak: TLS.
enum Curl {
    struct Result: Sendable {
        let status: Int32
        let output: String
        let error: String
    }

    static func run(_ arguments: [String]) async throws -> Result {
        try await offThePool { try runBlocking(arguments) }
    }

    private static func runBlocking(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--show-error", "--max-time", "10"] + arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }

    /// Polls `url` with `arguments` until curl gets any HTTP answer, up to `timeout`; a `server` that exits first ends
    /// the wait at once with the last lines of its `log` (a refusal to start reads better than a timeout).
    static func waitUntilServing(
        _ url: String, _ arguments: [String], server: Process? = nil, log: URL? = nil, timeout: Duration = .seconds(60)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await run(arguments + ["--output", "/dev/null", url]).status == 0 { return }
            if let server, !server.isRunning {
                let tail = log.flatMap { try? String(contentsOf: $0, encoding: .utf8) }?
                    .split(separator: "\n").suffix(5).joined(separator: "\n")
                Issue.record("the server exited with \(server.terminationStatus) before \(url) answered: \(tail ?? "")")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(url) did not answer within \(timeout)")
    }
}
