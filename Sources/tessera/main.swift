import ArgumentParser
import Foundation
import TesseraServer

// `serve` runs Swift concurrency's jobs on SwiftNIO's event loops instead of a pool of its own: a request's
// handler then continues on the thread that read it, with no hop between the two pools and back for every
// request (issue 5: "no extra thread hops on the hot path"). It must happen before any job reaches the global
// executor, so here, before the command line is parsed. The other commands keep the default executor. `serve`
// checks that it took, and warns if not.
if CommandLine.arguments.dropFirst().first == "serve" {
    _ = EventLoopExecutor.install()
}
await Tessera.runAsync()

extension Tessera {
    /// ArgumentParser's asynchronous entry point (`main(_:)`), except that a `CommandFailure` ends the process
    /// with its own status: ArgumentParser prints an error's line only with status 1.
    static func runAsync() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("Error: \(failure)\n".utf8))
            exit(withError: ExitCode(failure.status.rawValue))
        } catch {
            exit(withError: error)
        }
    }
}
