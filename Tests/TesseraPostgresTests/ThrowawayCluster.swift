import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A PostgreSQL cluster of its own, started with `deploy/postgres.sh`, that a test may stop and start again to
/// play a database outage without disturbing the shared test server.
struct ThrowawayCluster: Sendable {
    let directory: URL
    let port: Int
    let url: String

    private static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/postgres.sh")

    /// Creates and starts a cluster on a free port (a few random ports are tried). One is made at a time: initdb
    /// takes a core for a second or more, and several at once starved the other tests of the run past their
    /// deadlines.
    static func start() async throws -> ThrowawayCluster {
        await creation.acquire()
        do {
            let cluster = try await create()
            await creation.release()
            return cluster
        } catch {
            await creation.release()
            throw error
        }
    }

    private static let creation = OneAtATime()

    private static func create() async throws -> ThrowawayCluster {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-outage-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        var failure = ""
        for _ in 0..<3 {
            let port = Int.random(in: 20_000...40_000)
            let (status, output) = try await run(["start", directory.path, String(port), "fast"])
            if status == 0 {
                return ThrowawayCluster(
                    directory: directory, port: port, url: output.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            failure = output
        }
        try? FileManager.default.removeItem(at: directory)
        throw ClusterError(description: "deploy/postgres.sh could not start a throwaway cluster: \(failure)")
    }

    /// Starts the stopped cluster again on its port, once the postmaster that was told to stop has exited: a new
    /// one started while the old still holds the data directory's lock exits at once.
    func restart() async throws {
        try await waitForPostmasterExit()
        let (status, output) = try await Self.run(["start", directory.path, String(port), "fast"])
        try #require(status == 0, "the throwaway cluster did not start again: \(output)\n\(logTail())")
    }

    /// Waits (up to a minute) until no process holds the postmaster.pid of this cluster.
    private func waitForPostmasterExit() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while let pid = postmasterPID(), kill(pid, 0) == 0 {
            try #require(ContinuousClock.now < deadline, "the postmaster \(pid) did not exit within a minute")
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The last lines of the cluster's server log, for a failure message.
    private func logTail() -> String {
        let log = (try? String(contentsOf: directory.appendingPathComponent("postgres.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").suffix(10).joined(separator: "\n")
    }

    /// Stops the cluster (fast shutdown: connections are closed at once).
    func stop() async throws {
        let (status, output) = try await Self.run(["stop", directory.path])
        try #require(status == 0, "the throwaway cluster did not stop: \(output)")
    }

    /// Asks the postmaster for a fast shutdown (SIGINT, what `pg_ctl -m fast stop` sends) and returns at once,
    /// without the script's start-up time: for a test that must stop the server within a statement's deadline.
    func beginFastShutdown() throws {
        let pid = try #require(postmasterPID(), "no postmaster.pid in \(directory.path)/data")
        try #require(kill(pid, SIGINT) == 0, "cannot signal the postmaster \(pid): errno \(errno)")
    }

    /// The pid on the first line of the cluster's postmaster.pid; nil when there is none (the server is stopped).
    private func postmasterPID() -> pid_t? {
        let pidFile = directory.appendingPathComponent("data/postmaster.pid")
        return (try? String(contentsOf: pidFile, encoding: .utf8))?.split(separator: "\n").first.flatMap { pid_t($0) }
    }

    /// Stops the cluster and deletes its files.
    func remove() async {
        _ = try? await Self.run(["stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `deploy/postgres.sh` with `arguments` and waits for the script (not the server it starts) to end.
    ///
    /// Not `Foundation.Process`: it learns that a child ended when a socket it passes down is closed, and the
    /// PostgreSQL server the script leaves running would inherit that socket and keep the wait going forever.
    private static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-outage-\(UUID()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The server must not keep any other descriptor of the test process open: close them all before the script.
        let closeAndRun =
            #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; "#
            + #"exec /bin/bash "$0" "$@""#
        let argv = (["/bin/bash", "-c", closeAndRun, script.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var spawnedPID: pid_t = 0
        let spawned = posix_spawn(&spawnedPID, "/bin/bash", &actions, nil, argv, environ)
        let pid = spawnedPID
        guard spawned == 0 else { throw ClusterError(description: "cannot run deploy/postgres.sh: error \(spawned)") }
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            // waitpid blocks: on a thread of its own, not one of the concurrency pool's.
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : -1, output)
    }
}

/// The throwaway cluster could not be made.
struct ClusterError: Error, CustomStringConvertible {
    let description: String
}

/// An async lock: callers wait their turn without holding a thread.
private actor OneAtATime {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
