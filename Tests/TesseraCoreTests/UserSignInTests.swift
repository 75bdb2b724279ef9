import Logging
import Synchronization
import TesseraCore
import TesseraTesting
import Testing

/// A sign-in whose password hash has an older cost answers at once; the new hash is made afterwards. The hashing
/// threads run only on idle CPU, so a sign-in that waited for the new hash (a full bcrypt at the server's cost) took
/// over a minute on a loaded machine (the fresh-clone run of session 21: a password grant answered after 63.8 s).
@Suite("User sign-in", .timeLimit(.minutes(1)))
struct UserSignInTests {
    /// Verifies every password as an old-cost match; each hash waits until the test lets it finish.
    final class GatedHasher: PasswordHasher {
        let hashing = Mutex<[CheckedContinuation<Void, Never>]>([])
        let started = Mutex(0)
        let dummyHash = "dummy"

        func verify(_ password: String, against hash: String) async throws -> PasswordVerification {
            password == "right" ? .matchNeedsRehash : .mismatch
        }

        func hash(_ password: String) async throws -> String {
            started.withLock { $0 += 1 }
            await withCheckedContinuation { continuation in hashing.withLock { $0.append(continuation) } }
            return "new-hash"
        }

        func finishHashing() {
            for continuation in hashing.withLock({ gates in
                defer { gates.removeAll() }; return gates
            }) {
                continuation.resume()
            }
        }
    }

    @Test("a hash of an older cost is replaced after the sign-in has answered, not before")
    func rehashAfterAnswering() async throws {
        let users = InMemoryUserDirectory()
        users.put(User(tenantID: 1, id: 7, username: "ada", passwordHash: "old-hash", enabled: true))
        let hasher = GatedHasher()
        let signIn = UserSignIn(users: users, passwords: hasher, throttle: LoginThrottle())
        // The sign-in returns while the new hash is still being made.
        let user = try await signIn.signIn(
            tenantID: 1, username: "ada", password: "right", logger: Logger(label: "test"))
        #expect(user.id == 7)
        #expect(users.user(id: 7)?.passwordHash == "old-hash")
        // Then the hash is replaced.
        for _ in 0..<500 where hasher.started.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(hasher.started.withLock { $0 } == 1)
        hasher.finishHashing()
        for _ in 0..<500 where users.user(id: 7)?.passwordHash != "new-hash" {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(users.user(id: 7)?.passwordHash == "new-hash")
    }
}
