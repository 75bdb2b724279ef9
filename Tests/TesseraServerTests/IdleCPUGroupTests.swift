import Foundation
import Synchronization
import Testing

@testable import TesseraServer

#if canImport(Glibc)
    import Glibc
#endif

@Suite("The password-hashing threads' idle CPU cgroup")
struct IdleCPUGroupTests {
    // MARK: Finding the process's CPU cgroup

    static let hybridMembership = """
        9:name=systemd:/
        4:memory:/process_api/08ce
        1:cpu:/
        0::/
        """
    static let hybridMounts = """
        25 1 0:23 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        26 25 0:24 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        27 25 0:25 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 25 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test("cgroup v1: the cpu hierarchy's mount point plus the process's path; v2 is not asked then")
    func v1() {
        let found = IdleCPUGroup.ownCPUCgroup(membership: Self.hybridMembership, mountinfo: Self.hybridMounts) { _ in
            Issue.record("a v2 mount consulted although the cpu controller is on v1")
            return "cpu"
        }
        #expect(found?.path == "/sys/fs/cgroup/cpu" && found?.version == .v1)

        let combined = IdleCPUGroup.ownCPUCgroup(
            membership: "3:cpu,cpuacct:/system.slice/tessera.service\n",
            mountinfo: "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
        ) { _ in "" }
        #expect(combined?.path == "/sys/fs/cgroup/cpu,cpuacct/system.slice/tessera.service")
    }

    @Test("cgroup v2: only with the cpu controller available; a container's mount root is cut from the path")
    func v2() {
        let membership = "0::/system.slice/tessera.service\n"
        let mounts = "30 25 0:27 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
        let found = IdleCPUGroup.ownCPUCgroup(membership: membership, mountinfo: mounts) { path in
            path == "/sys/fs/cgroup/system.slice/tessera.service" ? "cpuset cpu io memory pids\n" : ""
        }
        #expect(found?.path == "/sys/fs/cgroup/system.slice/tessera.service" && found?.version == .v2)
        #expect(IdleCPUGroup.ownCPUCgroup(membership: membership, mountinfo: mounts) { _ in "memory pids" } == nil)

        // Inside a container the mount's root is the container's own cgroup.
        let container = IdleCPUGroup.ownCPUCgroup(
            membership: "0::/kubepods/pod1/abc/app\n",
            mountinfo: "40 30 0:27 /kubepods/pod1/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        ) { _ in "cpu" }
        #expect(container?.path == "/sys/fs/cgroup/app")
        let outside = IdleCPUGroup.ownCPUCgroup(
            membership: "0::/elsewhere\n",
            mountinfo: "40 30 0:27 /kubepods/pod1/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        ) { _ in "cpu" }
        #expect(outside == nil)
        #expect(IdleCPUGroup.ownCPUCgroup(membership: "", mountinfo: Self.hybridMounts) { _ in "cpu" } == nil)
    }

    // MARK: On this machine

    /// Whether this process may make a child of its CPU cgroup (root with the hierarchy writable, as on the
    /// development and CI machines); the tests below then expect the group, else the refusal with its reason.
    static var mayCreate: Bool {
        guard let parent = IdleCPUGroup.ownCPUCgroup() else { return false }
        return access(parent.path, W_OK) == 0
    }

    @Test("made where allowed: cpu.idle set, a thread moves itself in, the empty group is removed")
    func createEnterRemove() throws {
        let created = IdleCPUGroup.create()
        guard Self.mayCreate else {
            guard case .failure(let reason) = created else {
                Issue.record("made an idle CPU group without write access to the parent cgroup")
                return
            }
            #expect(!reason.description.isEmpty)
            return
        }
        let group = try created.get()
        let name = String(group.path.split(separator: "/").last!)
        #expect(name.hasPrefix("tessera-hashing-\(getpid())-"), "\(name)")
        let idle = IdleCPUGroup.read(group.path + "/cpu.idle")?.trimmingCharacters(in: .whitespacesAndNewlines)
        let shares = IdleCPUGroup.read(group.path + "/cpu.shares")?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(idle == "1" || shares == "2", "cpu.idle \(idle ?? "-"), cpu.shares \(shares ?? "-")")

        // A thread of its own enters and reports its membership from /proc/thread-self/cgroup.
        let seen = Mutex<String?>(nil)
        let entered = Mutex<IdleCPUGroupError?>(nil)
        let thread = Thread {
            entered.withLock { $0 = group.enter() }
            seen.withLock { $0 = IdleCPUGroup.read("/proc/thread-self/cgroup") }
        }
        thread.start()
        while !thread.isFinished { usleep(1000) }
        #expect(entered.withLock { $0 } == nil)
        #expect(seen.withLock { $0 }?.contains("/" + name) == true, "\(seen.withLock { $0 } ?? "")")
        // This (the test's) thread stays where it was.
        #expect(IdleCPUGroup.read("/proc/thread-self/cgroup")?.contains(name) == false)

        group.remove()
        #expect(access(group.path, F_OK) != 0, "\(group.path) still there after its thread ended")
    }

    @Test("the hasher's thread hashes inside the group; shutdown removes it; a dead process's group is swept")
    func hasherUsesGroup() async throws {
        guard Self.mayCreate else {
            #expect(throws: IdleCPUGroupError.self) { try IdleCPUGroup.create().get() }
            return
        }
        // A leftover of a process that has ended (pid 2^22 + 1 is above Linux's largest pid) is removed by the
        // next create; one of a live process (ours, number 0) is left alone.
        let parent = try #require(IdleCPUGroup.ownCPUCgroup()).path
        let dead = parent + "/tessera-hashing-4194305-1"
        let live = parent + "/tessera-hashing-\(getpid())-0"
        #expect(mkdir(dead, 0o755) == 0 && mkdir(live, 0o755) == 0)
        defer { rmdir(live) }

        let group = try IdleCPUGroup.create().get()
        #expect(access(dead, F_OK) != 0, "the dead process's group was not removed")
        #expect(access(live, F_OK) == 0, "a live process's group was removed")

        let hasher = BcryptPasswordHasher(cost: 4, threads: 1, queueLimit: 4, cpuGroup: group)
        _ = try await hasher.hash("pw")
        _ = try await hasher.hash("pw")
        let tasks =
            (IdleCPUGroup.read(group.path + "/tasks") ?? IdleCPUGroup.read(group.path + "/cgroup.threads"))?
            .split(separator: "\n") ?? []
        #expect(tasks.count == 1, "one hashing thread in the group, entered once: \(tasks)")
        if let tid = tasks.first {
            #expect(access("/proc/self/task/\(tid)", F_OK) == 0, "the thread in the group is ours")
        }
        await hasher.shutdown()
        #expect(access(group.path, F_OK) != 0, "shutdown left \(group.path)")
    }
}
