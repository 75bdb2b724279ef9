import Glibc
import NIOCore
import NIOPosix

/// Makes SwiftNIO's event loops Swift's global executor, running each job *as* the generic executor, so that a
/// request's task continues on the thread that read it and stays there from one async call to the next.
///
/// SwiftNIO's own takeover (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`)
/// runs each job isolated to the loop's serial executor. Every nonisolated async function a task then enters asks
/// for the generic executor, finds another one, and sends the task round the loop's queue again: about seven extra
/// trips per introspection (uprobes on `swift_task_enqueueGlobal`: 97% came from `swift_task_switch`). A task
/// executor preference avoids the trips too, but then every one of those calls walks the task's status records
/// to find it (5% of the server's CPU). Here nothing is left to switch.
public enum EventLoopExecutor {
    private typealias Original = @convention(thin) (UnownedJob) -> Void
    private typealias Hook = @convention(thin) (UnownedJob, Original) -> Void

    /// The generic executor, which the runtime represents as a null identity with no implementation. There is no
    /// public way to name it; `holdsTheLoop()` checks at start-up that this one behaves as it.
    private static let generic = unsafeBitCast((0 as UInt, 0 as UInt), to: UnownedSerialExecutor.self)

    /// Installs the hook through which Swift enqueues every job without an executor of its own. Only before any
    /// task exists (so, from main.swift) and once; false if this runtime has no such hook.
    public static func install() -> Bool {
        guard MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<UInt>.size,
            let slot = dlsym(dlopen(nil, RTLD_NOW), "swift_task_enqueueGlobal_hook")
        else { return false }
        let hook: Hook = { job, _ in
            // `any()` is the enqueuing thread's own loop when it is one of the group's.
            MultiThreadedEventLoopGroup.singleton.any().execute {
                job.runSynchronously(on: EventLoopExecutor.generic)
            }
        }
        slot.assumingMemoryBound(to: Hook?.self).pointee = hook
        return true
    }

    /// Whether the calling task runs on an event loop and keeps it across nonisolated async calls: a job queued on
    /// that loop first would run in between if any call sent the task round the queue (a trip comes back to the
    /// same loop, behind that job).
    public static func holdsTheLoop() async -> Bool {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return false }
        let overtaken = NIOLoopBound(Box(), eventLoop: loop)
        loop.execute { overtaken.value.flag = true }
        var onALoop = true
        for _ in 0..<16 {
            onALoop = await nonisolatedStep() && onALoop
        }
        guard onALoop, loop.inEventLoop else { return false }
        return !overtaken.value.flag
    }

    /// Calls out, so that the optimiser keeps its switch to the generic executor.
    @inline(never)
    private static func nonisolatedStep() async -> Bool {
        MultiThreadedEventLoopGroup.currentEventLoop != nil
    }

    private final class Box {
        var flag = false
    }
}
