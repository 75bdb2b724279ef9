import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A CPU cgroup marked idle (`cpu.idle` 1) for the password-hashing threads, so that bcrypt takes only CPU that
/// nothing else on the machine wants.
///
/// Why a cgroup and not only SCHED_IDLE: the scheduler compares a SCHED_IDLE thread only with the threads of its
/// own group. A server started from a shell is in its session's autogroup, one under systemd in its unit's cgroup,
/// and that group as a whole competes with PostgreSQL's and the load's groups at full weight: measured on a 2-core
/// machine, a SCHED_IDLE hashing thread in the server's autogroup still took 80% of a core, and client credentials
/// beside saturated sign-ins had a p99 five to twenty times their solo p99. In a cgroup of its own marked idle, the
/// hashing thread yields to every other task under the same parent: 1.2 times the solo p99 in the same run.
///
/// The group is made under the process's own CPU cgroup (the `cpu` controller of cgroup v1, or cgroup v2 with
/// the `cpu` controller, as a threaded child), named `tessera-hashing-<pid>-<n>`. For a server in the root
/// cgroup (started from a shell, as by the benchmark) that puts hashing below every other process; for one in a
/// unit's or a container's cgroup, below the server's own threads, within the share the operator gave the unit.
/// Creating it needs write access there: root, or a delegated cgroup (systemd's `Delegate=`). Elsewhere (an
/// unprivileged container) `create` says why and the hashing threads keep SCHED_IDLE alone.
public struct IdleCPUGroup: Sendable {
    /// The group's directory, such as `/sys/fs/cgroup/cpu/tessera-hashing-4242-1`.
    public let path: String
    /// `tasks` (v1) or `cgroup.threads` (v2): a thread that writes 0 here moves itself in.
    private let threadsFile: String

    static let namePrefix = "tessera-hashing-"
    /// Numbers the groups of one process (one per hasher: tests make several).
    private static let made = Atomic<Int>(0)

    /// Makes a new group, `tessera-hashing-<pid>-<n>`, after removing those of processes that have ended
    /// without removing theirs.
    public static func create() -> Result<IdleCPUGroup, IdleCPUGroupError> {
        guard let parent = ownCPUCgroup() else {
            return .failure(IdleCPUGroupError("no cgroup with the cpu controller is visible to this process"))
        }
        removeLeftovers(in: parent.path)
        let number = made.add(1, ordering: .relaxed).newValue
        let path = parent.path + "/" + namePrefix + String(getpid()) + "-" + String(number)
        guard mkdir(path, 0o755) == 0 else {
            return .failure(IdleCPUGroupError(POSIXFailure("cannot create \(path)", errno).description))
        }
        var made: IdleCPUGroupError?
        switch parent.version {
        case .v1:
            // Before cpu.idle (Linux 5.15) the lowest weight is the next best thing.
            if write("1", to: path + "/cpu.idle") != nil { made = write("2", to: path + "/cpu.shares") }
        case .v2:
            made = write("threaded", to: path + "/cgroup.type") ?? enableCPU(in: parent.path)
            if made == nil, write("1", to: path + "/cpu.idle") != nil { made = write("1", to: path + "/cpu.weight") }
        }
        if let made {
            rmdir(path)
            return .failure(made)
        }
        return .success(IdleCPUGroup(path: path, threadsFile: parent.version == .v1 ? "tasks" : "cgroup.threads"))
    }

    /// Moves the calling thread into the group. Costly for the kernel (a cgroup migration): once per thread.
    public func enter() -> IdleCPUGroupError? {
        Self.write("0", to: path + "/" + threadsFile)
    }

    /// Removes the group once its threads have ended. A thread that has just been joined may still count for a
    /// few milliseconds (the kernel lets go of its cgroup after waking the joiner), so a busy group is retried for
    /// up to a second; one with live threads stays.
    public func remove() {
        for _ in 0..<100 {
            if rmdir(path) == 0 || errno != EBUSY { return }
            usleep(10_000)
        }
    }

    // MARK: - Finding the process's own CPU cgroup

    enum Version { case v1, v2 }

    static func ownCPUCgroup() -> (path: String, version: Version)? {
        guard let membership = read("/proc/self/cgroup"), let mounts = read("/proc/self/mountinfo") else {
            return nil
        }
        return ownCPUCgroup(membership: membership, mountinfo: mounts) { read($0 + "/cgroup.controllers") ?? "" }
    }

    /// The directory of this process's CPU cgroup from the texts of `/proc/self/cgroup` (`id:controllers:path`
    /// lines) and `/proc/self/mountinfo`. The v1 `cpu` hierarchy wins when mounted (the controller is then not
    /// on v2); v2 needs `cpu` among its mount's controllers.
    static func ownCPUCgroup(
        membership: String, mountinfo: String, controllers: (String) -> String
    ) -> (path: String, version: Version)? {
        var v1Path: String?
        var v2Path: String?
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                v2Path = String(fields[2])
            } else if fields[1].split(separator: ",").contains("cpu") {
                v1Path = String(fields[2])
            }
        }
        for line in mountinfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let mount = halves[0].split(separator: " ")
            let filesystem = halves[1].split(separator: " ")
            guard mount.count >= 5, filesystem.count >= 3 else { continue }
            let (root, point) = (String(mount[3]), String(mount[4]))
            if filesystem[0] == "cgroup", let v1Path, filesystem[2].split(separator: ",").contains("cpu"),
                let inside = relative(v1Path, to: root)
            {
                return (point + inside, .v1)
            }
            if filesystem[0] == "cgroup2", v1Path == nil, let v2Path, let inside = relative(v2Path, to: root),
                controllers(point + inside).split(whereSeparator: \.isWhitespace).contains("cpu")
            {
                return (point + inside, .v2)
            }
        }
        return nil
    }

    /// `path` seen from a mount whose root is `root` ("" for the mount's top), or nil when outside it.
    static func relative(_ path: String, to root: String) -> String? {
        if root == "/" { return path == "/" ? "" : path }
        if path == root { return "" }
        return path.hasPrefix(root + "/") ? String(path.dropFirst(root.count)) : nil
    }

    // MARK: - Files

    private static func enableCPU(in parent: String) -> IdleCPUGroupError? {
        let controllers = read(parent + "/cgroup.subtree_control") ?? ""
        if controllers.split(whereSeparator: \.isWhitespace).contains("cpu") { return nil }
        return write("+cpu", to: parent + "/cgroup.subtree_control")
    }

    private static func removeLeftovers(in parent: String) {
        guard let directory = opendir(parent) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.hasPrefix(namePrefix),
                let pid = pid_t(name.dropFirst(namePrefix.count).prefix(while: \.isNumber)),
                kill(pid, 0) != 0 && errno == ESRCH
            else { continue }
            rmdir(parent + "/" + name)
        }
    }

    /// A small kernel file (proc, cgroup) whole; nil if it cannot be read. (Not Foundation's reader: these files
    /// report a size of 0.)
    static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` with one write(2), as cgroup files want; nil on success.
    static func write(_ text: String, to path: String) -> IdleCPUGroupError? {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return IdleCPUGroupError(POSIXFailure("cannot open \(path)", errno).description)
        }
        defer { close(descriptor) }
        let written = text.utf8CString.withUnsafeBufferPointer { Glibc.write(descriptor, $0.baseAddress, $0.count - 1) }
        guard written == text.utf8.count else {
            return IdleCPUGroupError(POSIXFailure("cannot write \(path)", errno).description)
        }
        return nil
    }
}

/// Why the idle CPU group could not be made or entered.
public struct IdleCPUGroupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// `--password-cgroup`: `auto` makes the hashing threads' idle CPU cgroup where the process may, `off` never
/// touches cgroups (SCHED_IDLE alone).
public enum PasswordCPUGroup: String, Sendable, CaseIterable {
    case auto, off
}
