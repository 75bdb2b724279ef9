import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The folder where a single-machine server keeps what it makes for itself on the first start and reuses afterwards:
/// the self-signed certificate and the server key. Made 0700; a lock on it keeps two processes starting at once from
/// writing files that do not belong together.
struct DataDirectory {
    let path: String

    func file(_ name: String) -> String { path + "/" + name }

    /// Runs `body` holding an exclusive lock on the directory, which is created first when missing.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lock = open(path, O_RDONLY)
        guard lock >= 0 else { throw POSIXFailure("open", errno) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw POSIXFailure("flock", errno) }
        return try body()
    }

    /// Writes a new file beside `path` with exactly `mode`, then renames it over `path`: a reader sees the old file
    /// or the whole new one, and a key is never readable by others, not even for a moment.
    func replaceFile(_ name: String, with text: String, mode: mode_t) throws {
        let path = file(name)
        let temporary = path + ".new"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw POSIXFailure("open \(temporary)", errno) }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw POSIXFailure("fchmod", errno) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else { throw POSIXFailure("write \(temporary)", errno) }
            offset += written
        }
        guard fsync(descriptor) == 0, rename(temporary, path) == 0 else { throw POSIXFailure("rename \(path)", errno) }
    }
}
