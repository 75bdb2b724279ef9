import Foundation

/// Tests/fetch/serve.py, started for a test as a client's web server that publishes documents (its keys, its
/// metadata): the folder it serves at /file/<name>, and its plain and TLS ports. Start it off the concurrency
/// pool: it waits for the server to listen.
public final class PublishingServer: Sendable {
    public let folder: URL
    public let httpPort: Int
    public let httpsPort: Int
    private let process: Process

    /// Serves `folder`, or a new temporary folder that `stop` removes.
    public init(folder given: URL? = nil) throws {
        folder =
            given
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "tessera-publishing-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        ownsFolder = given == nil
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/fetch/serve.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, folder.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The first line is the two ports; reading it waits until both listen.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw PublishingServerFailure(description: "serve.py exited before listening")
            }
            line.append(chunk)
        }
        let ports = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard ports.count == 2 else { throw PublishingServerFailure(description: "serve.py printed no ports") }
        (httpPort, httpsPort) = (ports[0], ports[1])
    }

    public func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    public func remove(_ name: String) throws {
        try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
    }

    public func http(_ path: String) -> String { "http://127.0.0.1:\(httpPort)\(path)" }

    public func stop() {
        if process.isRunning { process.terminate() }
        if ownsFolder { try? FileManager.default.removeItem(at: folder) }
    }

    private let ownsFolder: Bool
}

public struct PublishingServerFailure: Error, CustomStringConvertible {
    public let description: String
}
