import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import TesseraPostgres

@Suite("The batch runner behind group commit and batched lookups")
struct BatchRunnerTests {
    @Test("a request hears back on the event loop it came from, not on the worker's thread")
    func answersOnTheCallersLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let runner = BatchRunner<Int, Int>(workers: 1, maximumBatch: 8, maximumQueue: 8, work: "test") { inputs in
            inputs.map { $0 * 2 }
        }
        let worker = Task { await runner.run() }
        defer { worker.cancel() }

        // Hold the caller's loop: the answer, which must be delivered there, then waits for it.
        let gate = DispatchSemaphore(value: 0)
        loop.execute { gate.wait() }
        let answered = Atomic<Int>(0)
        let request = Task {
            let doubled = try await runner.submit(21, loop: loop)
            answered.store(doubled, ordering: .sequentiallyConsistent)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(answered.load(ordering: .sequentiallyConsistent) == 0, "answered while its loop was busy")
        gate.signal()
        try await request.value
        #expect(answered.load(ordering: .sequentiallyConsistent) == 42)

        // Off the event loops there is nowhere to go back to: answered directly.
        #expect(try await runner.submit(5, loop: nil) == 10)
        try await group.shutdownGracefully()
    }
}
