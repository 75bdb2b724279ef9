import NIOCore
import NIOPosix
import Testing

@testable import TesseraServer

/// The hook itself can only be installed in a process of its own: the JSON access log's end-to-end test reads the
/// binary's start-up check. Here, the check's answers, with tasks placed on a loop by a task executor instead.
@Suite struct EventLoopExecutorTests {
    @Test func aTaskOnSwiftsOwnExecutorDoesNotHoldALoop() async {
        #expect(await EventLoopExecutor.holdsTheLoop() == false)
    }

    @Test func aTaskRunningOnALoopAsTheGenericExecutorHoldsIt() async {
        let executor = LoopTaskExecutor(loop: MultiThreadedEventLoopGroup.singleton.any(), isolatedToTheLoop: false)
        #expect(await withTaskExecutorPreference(executor) { await EventLoopExecutor.holdsTheLoop() })
    }

    /// As SwiftNIO's own takeover runs jobs: isolated to the loop's serial executor, so every nonisolated call
    /// switches away and the task goes round the loop's queue.
    @Test func aTaskIsolatedToTheLoopsSerialExecutorIsSentRoundTheQueue() async {
        let executor = LoopTaskExecutor(loop: MultiThreadedEventLoopGroup.singleton.any(), isolatedToTheLoop: true)
        #expect(await withTaskExecutorPreference(executor) { await EventLoopExecutor.holdsTheLoop() } == false)
    }

    final class LoopTaskExecutor: TaskExecutor {
        let loop: any EventLoop
        let isolatedToTheLoop: Bool

        init(loop: any EventLoop, isolatedToTheLoop: Bool) {
            self.loop = loop
            self.isolatedToTheLoop = isolatedToTheLoop
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            loop.execute {
                if self.isolatedToTheLoop {
                    job.runSynchronously(
                        isolatedTo: self.loop.executor.asUnownedSerialExecutor(),
                        taskExecutor: self.asUnownedTaskExecutor())
                } else {
                    job.runSynchronously(on: self.asUnownedTaskExecutor())
                }
            }
        }
    }
}
