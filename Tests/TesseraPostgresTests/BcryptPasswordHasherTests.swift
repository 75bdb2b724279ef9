import Foundation
import TesseraCore
import TesseraServer
import Testing

@Suite("bcrypt on its own bounded pool")
struct BcryptPasswordHasherTests {
    @Test("a hash verifies its password only; a hash of a lower cost asks to be upgraded")
    func verifies() async throws {
        let hasher = BcryptPasswordHasher(cost: 6, threads: 1, queueLimit: 4)
        let hash = try await hasher.hash("correct horse")
        #expect(hash.hasPrefix("$2") && !hash.contains("correct"))
        #expect(try await hasher.verify("correct horse", against: hash) == .match)
        #expect(try await hasher.verify("wrong", against: hash) == .mismatch)
        let older = BcryptPasswordHasher.hashBlocking("correct horse", cost: 4)
        #expect(try await hasher.verify("correct horse", against: older) == .matchNeedsRehash)
    }

    @Test("when the pool and its queue are full, a sign-in is refused at once with 503 and Retry-After")
    func fullPoolRefuses() async throws {
        let hasher = BcryptPasswordHasher(cost: 10, threads: 1, queueLimit: 1)
        let hash = BcryptPasswordHasher.hashBlocking("pw", cost: 10)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        return try await hasher.verify("pw", against: hash) == .match ? "match" : "mismatch"
                    } catch let error as OAuthError {
                        return "\(error.status) \(error.code.rawValue) \(error.retryAfter ?? 0)"
                    } catch {
                        return "other"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.contains("match"))
        #expect(outcomes.contains("503 temporarily_unavailable 1"))
        #expect(outcomes.allSatisfy { $0 == "match" || $0 == "503 temporarily_unavailable 1" })
    }

    #if os(Linux)
        @Test("hashing threads run at the lowest priority (nice 19); the threads serving requests keep theirs")
        func hashingYieldsToRequests() async throws {
            let hasher = BcryptPasswordHasher(cost: 4, threads: 2, queueLimit: 4)
            _ = try await hasher.hash("pw")
            _ = try await hasher.hash("pw")
            // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value (after the parenthesised name).
            func nice(_ statPath: String) -> Int? {
                guard let stat = try? String(contentsOfFile: statPath, encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { return nil }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return fields.count > 16 ? Int(fields[16]) : nil
            }
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let values = tasks.compactMap { nice("/proc/self/task/\($0)/stat") }
            #expect(values.contains(19), "a hashing thread at nice 19: \(values)")
            #expect(values.contains(0), "other threads keep nice 0: \(values)")
            #expect(nice("/proc/self/stat") == 0, "the process's main thread is untouched")
        }
    #endif
}
