import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import TesseraPostgres

@Suite("The batch runner behind group commit and batched lookups")
struct BatchRunnerTests {
    @Test("a batch held past the limit with none ending reports the runner stalled, and ending it clears that")
    func stalledBatch() async throws {
        final class Gate: Sendable { let held = Mutex<CheckedContinuation<Void, Never>?>(nil) }
        let gate = Gate()
        let runner = BatchRunner<Int, Int, Void>(workers: 1, maximumBatch: 8, maximumQueue: 8, work: "test") { inputs in
            await withCheckedContinuation { continuation in gate.held.withLock { $0 = continuation } }
            return inputs
        }
        let worker = Task { await runner.run() }
        defer { worker.cancel() }
        #expect(!runner.isStalled(longerThan: .milliseconds(100)), "idle is not stalled")
        let request = Task { try await runner.submit(1, loop: nil) }
        let held = try await eventually(within: .seconds(5)) { gate.held.withLock { $0 != nil } }
        try #require(held)
        try await Task.sleep(for: .milliseconds(300))
        #expect(runner.isStalled(longerThan: .milliseconds(100)))
        #expect(!runner.isStalled(longerThan: .seconds(60)))
        gate.held.withLock { $0?.resume() }
        #expect(try await request.value == 1)
        #expect(!runner.isStalled(longerThan: .milliseconds(100)))
    }

    @Test("a request hears back on the event loop it came from, not on the worker's thread")
    func answersOnTheCallersLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let runner = BatchRunner<Int, Int, Void>(workers: 1, maximumBatch: 8, maximumQueue: 8, work: "test") { inputs in
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
        let runner = BatchRunner<Int, Int, Void>(workers: 4, maximumBatch: 4, maximumQueue: 64, work: "test") {
            inputs in
            batches.withLock { $0.append(inputs) }
            while !open.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(5)) }
            return inputs
        }
        let worker = Task { await runner.run() }
        defer { worker.cancel() }
        func submitted(_ values: Range<Int>) -> [Task<Int, any Error>] {
            values.map { value in Task { try await runner.submit(value, loop: nil) } }
        }

        let first = submitted(0..<1)
        try await pollUntil { batches.withLock { $0.count } == 1 }
        #expect(batches.withLock { $0.count } == 1)
        // Three wait behind the batch in flight: no second batch for them.
        let waiting = submitted(1..<4)
        try await Task.sleep(for: .milliseconds(300))
        #expect(batches.withLock { $0.count } == 1, "a second batch started for fewer than a full batch")
        // A fourth makes a full batch: it may start beside the first.
        let full = submitted(4..<5)
        try await pollUntil { batches.withLock { $0.count } == 2 }
        #expect(batches.withLock { $0.map { $0.sorted() } } == [[0], [1, 2, 3, 4]])
        open.store(true, ordering: .sequentiallyConsistent)
        for task in first + waiting + full { _ = try await task.value }
    }

    @Test("a busy worker runs batch after batch in one session; it gives the session back when nothing is ready")
    func consecutiveBatchesShareASession() async throws {
        let sessions = Atomic<Int>(0)
        let open = Atomic<Bool>(false)
        let runner = BatchRunner<Int, Int, Int>(
            workers: 1, maximumBatch: 4, maximumQueue: 64, work: "test",
            open: { body in await body(sessions.add(1, ordering: .sequentiallyConsistent).newValue) },
            process: { inputs, session in
                while !open.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(5)) }
                return inputs.map { _ in session }
            })
        let worker = Task { await runner.run() }
        defer { worker.cancel() }

        // The second request arrives while the first batch is held: it runs next, in the same session.
        let first = Task { try await runner.submit(1, loop: nil) }
        try await pollUntil { sessions.load(ordering: .sequentiallyConsistent) == 1 }
        let second = Task { try await runner.submit(2, loop: nil) }
        try await Task.sleep(for: .milliseconds(100))
        open.store(true, ordering: .sequentiallyConsistent)
        #expect(try await first.value == 1)
        #expect(try await second.value == 1, "the batch that waited opened a session of its own")
        // With nothing waiting the session was given back: a later request opens a new one.
        #expect(try await runner.submit(3, loop: nil) == 2)
    }

    @Test("a session ends after batchesPerSession batches, so that a small pool's other waiters get their turn")
    func sessionsAreBounded() async throws {
        let sessions = Atomic<Int>(0)
        let gate = Atomic<Int>(0)
        let runner = BatchRunner<Int, Int, Int>(
            workers: 1, maximumBatch: 1, maximumQueue: 64, work: "test", batchesPerSession: 2,
            open: { body in await body(sessions.add(1, ordering: .sequentiallyConsistent).newValue) },
            process: { inputs, session in
                // The first batch waits until the others are queued behind it.
                while inputs == [0] && gate.load(ordering: .sequentiallyConsistent) == 0 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                return inputs.map { _ in session }
            })
        let worker = Task { await runner.run() }
        defer { worker.cancel() }

        let first = Task { try await runner.submit(0, loop: nil) }
        try await pollUntil { sessions.load(ordering: .sequentiallyConsistent) == 1 }
        let queued = (1..<4).map { value in Task { try await runner.submit(value, loop: nil) } }
        try await Task.sleep(for: .milliseconds(100))
        gate.store(1, ordering: .sequentiallyConsistent)
        var answers = [try await first.value]
        for task in queued { answers.append(try await task.value) }
        // Batches of one: 0 and the next in session 1, the other two in session 2.
        #expect(answers.sorted() == [1, 1, 2, 2])
    }

    @Test("a session that cannot be opened fails the batch in hand; a failed batch ends its session")
    func failuresEndSessions() async throws {
        struct NoSession: Error {}
        struct BatchFailed: Error {}
        let opened = Atomic<Int>(0)
        let gate = Atomic<Bool>(false)
        let runner = BatchRunner<Int, Int, Int>(
            workers: 1, maximumBatch: 4, maximumQueue: 64, work: "test",
            open: { body in
                let number = opened.add(1, ordering: .sequentiallyConsistent).newValue
                guard number != 1 else { throw NoSession() }
                await body(number)
            },
            process: { inputs, session in
                guard !inputs.contains(0) else {
                    while !gate.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(5)) }
                    throw BatchFailed()
                }
                return inputs.map { _ in session }
            })
        let worker = Task { await runner.run() }
        defer { worker.cancel() }

        await #expect(throws: NoSession.self) { try await runner.submit(1, loop: nil) }
        #expect(try await runner.submit(2, loop: nil) == 2)
        // A request waits behind a batch that is about to fail: it must not run on that batch's session.
        let failing = Task { try await runner.submit(0, loop: nil) }
        try await pollUntil { opened.load(ordering: .sequentiallyConsistent) == 3 }
        let next = Task { try await runner.submit(3, loop: nil) }
        try await Task.sleep(for: .milliseconds(100))
        gate.store(true, ordering: .sequentiallyConsistent)
        await #expect(throws: BatchFailed.self) { try await failing.value }
        #expect(try await next.value == 4, "the batch after a failed one ran in the failed batch's session")
    }
}

/// Polls for what must happen (a loaded machine may take a while); tests wait a fixed time for what must not.
private func pollUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
}
