import ArgumentParser
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

extension AsyncParsableCommand {
    /// ArgumentParser's asynchronous entry point. Called from top-level code, `main()` would resolve to
    /// ParsableCommand's synchronous one, which runs no async command; here it resolves as in `@main`.
    static func runAsync() async {
        await main(nil)
    }
}
