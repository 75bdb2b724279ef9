import NIOCore
import NIOPosix

/// Runs tasks on SwiftNIO's event loops *as* Swift's generic executor, so that a request's task continues on the
/// thread that read it and stays there from one async call to the next.
///
/// `tessera serve` already makes the event loops Swift's global executor (main.swift), but SwiftNIO runs each job
/// there isolated to the loop's own serial executor. Every nonisolated async function the task then enters asks
/// for the generic executor, finds another one, and sends the task round the loop's queue again: about seven extra
/// trips per request (uprobes on `swift_task_enqueueGlobal`: 97% came from `swift_task_switch`). A task that
/// prefers this executor runs with the generic serial executor and this task executor, which is what those
/// functions ask for, so they go on where they are. Child tasks inherit the preference; `Task {}` does not.
public final class EventLoopTaskExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup

    public init(group: MultiThreadedEventLoopGroup = .singleton) {
        self.group = group
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // `any()` is the enqueuing thread's own loop when it is one of the group's, as in SwiftNIO's global executor.
        group.any().execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
