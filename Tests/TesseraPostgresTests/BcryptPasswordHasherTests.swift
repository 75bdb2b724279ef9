import Testing
import TesseraCore
import TesseraServer

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
}
