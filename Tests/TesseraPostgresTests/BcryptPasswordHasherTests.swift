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
        @Test("hashing threads run under SCHED_IDLE; the threads serving requests keep the normal policy")
        func hashingYieldsToRequests() async throws {
            let hasher = BcryptPasswordHasher(cost: 4, threads: 2, queueLimit: 4)
            _ = try await hasher.hash("pw")
            _ = try await hasher.hash("pw")
            // /proc/<pid>/task/<tid>/sched has a line "policy : N"; SCHED_IDLE is 5, SCHED_OTHER 0.
            func policy(_ schedPath: String) -> Int? {
                guard let text = try? String(contentsOfFile: schedPath, encoding: .utf8),
                    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("policy") })
                else { return nil }
                return line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            }
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let policies = tasks.compactMap { policy("/proc/self/task/\($0)/sched") }
            #expect(policies.contains(5), "a hashing thread under SCHED_IDLE: \(policies)")
            #expect(policies.contains(0), "other threads keep SCHED_OTHER: \(policies)")
            #expect(policy("/proc/self/sched") == 0, "the process's main thread is untouched")
        }
    #endif
}
