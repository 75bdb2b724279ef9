import Crypto
import Foundation
import Synchronization
import TesseraCore

/// A fast stand-in for bcrypt in tests: `test$<cost>$<sha256 hex>`. Never for real passwords.
public final class TestPasswordHasher: PasswordHasher {
    /// The cost new hashes get; older hashes verify as `matchNeedsRehash`.
    public let cost: Int
    private let verifications = Mutex(0)

    public init(cost: Int = 12) { self.cost = cost }

    public func hash(_ password: String) async throws -> String { Self.hash(password, cost: cost) }

    public static func hash(_ password: String, cost: Int) -> String {
        "test$\(cost)$" + SHA256.hash(data: Data(password.utf8)).hexadecimal
    }

    public func verify(_ password: String, against hash: String) async throws -> PasswordVerification {
        verifications.withLock { $0 += 1 }
        let parts = hash.split(separator: "$")
        guard parts.count == 3, let hashCost = Int(parts[1]), Self.hash(password, cost: hashCost) == hash else {
            return .mismatch
        }
        return hashCost < cost ? .matchNeedsRehash : .match
    }

    public var dummyHash: String { Self.hash(UUID().uuidString, cost: cost) }

    /// How many passwords were checked, dummy checks included.
    public var verificationCount: Int { verifications.withLock { $0 } }
}
