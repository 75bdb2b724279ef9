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

    @Test("one batch at a time, a second beside it only when a full batch waits; the waiting ones then go together")
    func oneBatchInFlightUntilAFullOneWaits() async throws {
        let batches = Mutex<[[Int]]>([])
        let open = Atomic<Bool>(false)
        let runner = BatchRunner<Int, Int>(workers: 4, maximumBatch: 4, maximumQueue: 64, work: "test") { inputs in
            batches.withLock { $0.append(inputs) }
            while !open.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(5)) }
            return inputs
        }
        let worker = Task { await runner.run() }
        defer { worker.cancel() }
        func submitted(_ values: Range<Int>) -> [Task<Int, any Error>] {
            values.map { value in Task { try await runner.submit(value, loop: nil) } }
        }
        // Polls for what must happen (a loaded machine may take a while); waits a fixed time for what must not.
        func eventually(_ condition: () -> Bool) async throws {
            for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        }

        let first = submitted(0..<1)
        try await eventually { batches.withLock { $0.count } == 1 }
        #expect(batches.withLock { $0.count } == 1)
        // Three wait behind the batch in flight: no second batch for them.
        let waiting = submitted(1..<4)
        try await Task.sleep(for: .milliseconds(300))
        #expect(batches.withLock { $0.count } == 1, "a second batch started for fewer than a full batch")
        // A fourth makes a full batch: it may start beside the first.
        let full = submitted(4..<5)
        try await eventually { batches.withLock { $0.count } == 2 }
        #expect(batches.withLock { $0.map { $0.sorted() } } == [[0], [1, 2, 3, 4]])
        open.store(true, ordering: .sequentiallyConsistent)
        for task in first + waiting + full { _ = try await task.value }
    }
}
