import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import TesseraServer

@Suite struct EventLoopTaskExecutorTests {
    @Test func tasksRunOnTheGroupsEventLoops() async throws {
        let loops = try await withTaskExecutorPreference(EventLoopTaskExecutor()) {
            try await withThrowingTaskGroup(of: Bool.self) { children in
                for _ in 0..<8 {
                    children.addTask {
                        try await Task.sleep(for: .milliseconds(1))
                        return MultiThreadedEventLoopGroup.currentEventLoop != nil
                    }
                }
                return try await children.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        #expect(loops == Array(repeating: true, count: 8))
    }

    /// The reason for the executor: entering nonisolated async functions must not send the task round the loop's
    /// queue. A job queued on the task's loop before the calls would run in between if any call yielded the thread
    /// (a hop comes back to the same loop, behind that job).
    @Test func nonisolatedCallsDoNotYieldTheLoop() async throws {
        let ranBetween = try await withTaskExecutorPreference(EventLoopTaskExecutor()) {
            let loop = try #require(MultiThreadedEventLoopGroup.currentEventLoop)
            let queued = Mutex(false)
            loop.execute { queued.withLock { $0 = true } }
            var sum = 0
            for step in 0..<100 {
                sum += await Self.nonisolatedStep(step)
            }
            #expect(sum == 4950)
            return queued.withLock { $0 }
        }
        #expect(ranBetween == false)
    }

    @inline(never)
    nonisolated static func nonisolatedStep(_ value: Int) async -> Int {
        await nonisolatedLeaf(value)
    }

    @inline(never)
    nonisolated static func nonisolatedLeaf(_ value: Int) async -> Int {
        value
    }
}
