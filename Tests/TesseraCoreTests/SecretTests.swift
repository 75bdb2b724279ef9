import Foundation
import Testing

@testable import TesseraCore

@Suite("Secrets, keys and tokens")
struct SecretTests {
    @Test("a secret hash verifies its secret and nothing else")
    func hashVerifies() {
        let hash = SecretHash.make(for: "correct")
        #expect(hash.verifies("correct"))
        #expect(!hash.verifies("Correct"))
        #expect(!hash.verifies(""))
        #expect(!hash.encoded.contains("correct"))
    }

    @Test("the previous secret is accepted until the instant its grace period ends, the current one always")
    func previousSecretGrace() {
        let expiry = Date(timeIntervalSince1970: 1_800_000_000)
        let application = ClientApplication(
            tenantID: 1, id: 1, consumerKey: "key", secretHash: SecretHash.make(for: "new"), name: "rotated",
            grantTypes: ["client_credentials"], allowedScopes: ScopeSet(["default"]),
            defaultScopes: ScopeSet(["default"]), defaultTokenValidity: 3600, maxTokenValidity: 3600, enabled: true,
            previousSecret: .init(hash: SecretHash.make(for: "old"), expiresAt: expiry))
        #expect(application.acceptsSecret("old", at: expiry.addingTimeInterval(-0.001)))
        #expect(!application.acceptsSecret("old", at: expiry))
        #expect(application.acceptsSecret("new", at: expiry.addingTimeInterval(86_400)))
        #expect(!application.acceptsSecret("other", at: expiry.addingTimeInterval(-60)))
    }

    @Test("a hash stored by another implementation verifies (HMAC-SHA256 keyed with the salt, bench/seed.py's form)")
    func interoperates() throws {
        // Python: hmac.new(bytes(range(16)), "s3cret-é".encode(), hashlib.sha256), salt and MAC in base64.
        let stored = try #require(
            SecretHash(encoded: "hmac-sha256$AAECAwQFBgcICQoLDA0ODw==$yWJzFsiofvXUMF0gOuNLQcDYtreclRuH5+Lr8pPltBc="))
        #expect(stored.verifies("s3cret-é"))
        #expect(!stored.verifies("s3cret-e"))
        // The keyed HMAC is shared by every verification: one that failed leaves nothing behind.
        #expect(stored.verifies("s3cret-é"))
    }

    @Test("one stored hash verifies from many tasks at once")
    func concurrentVerifications() async {
        let hash = SecretHash.make(for: "shared")
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<500).allSatisfy { round in
                        hash.verifies("shared") && !hash.verifies("shared\(task)-\(round)")
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test("a token's hash is its SHA-256")
    func tokenHashIsSHA256() {
        // Python: hashlib.sha256("tsr_at_é-known".encode()).hexdigest()
        let hex = TokenHash(of: "tsr_at_é-known").bytes.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "88caeefe1a2272e99f23f150b60b1e41093f0f66b678d0e0c6c0aeef579b10f4")
    }

    @Test("the same secret hashes differently each time (salted)")
    func salted() {
        #expect(SecretHash.make(for: "same").encoded != SecretHash.make(for: "same").encoded)
    }

    @Test("a stored hash round-trips, and garbage is refused")
    func parses() {
        let hash = SecretHash.make(for: "x")
        #expect(SecretHash(encoded: hash.encoded)?.verifies("x") == true)
        #expect(SecretHash(encoded: "plaintext") == nil)
        #expect(SecretHash(encoded: "hmac-sha256$AAAA$BBBB") == nil)
    }

    @Test("descriptions never print hashes")
    func redacted() {
        let hash = SecretHash.make(for: "x")
        #expect(!"\(hash)".contains(hash.encoded))
        #expect("\(TokenHash(of: "tsr_at_x"))" == "TokenHash(****)")
    }

    @Test("consumer keys are 28 alphanumerics, like WSO2's")
    func consumerKeys() {
        let keys = (0..<200).map { _ in CredentialGenerator.consumerKey() }
        #expect(Set(keys).count == keys.count)
        for key in keys {
            #expect(key.count == 28)
            #expect(key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
    }

    @Test("consumer secrets carry 192 random bits, URL-safe")
    func consumerSecrets() {
        let secrets = (0..<200).map { _ in CredentialGenerator.consumerSecret() }
        #expect(Set(secrets).count == secrets.count)
        for secret in secrets {
            #expect(secret.count == 32)  // 24 bytes in base64url
            #expect(secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
    }

    @Test("the random pool hands out each byte once, across refills and threads, and its bytes look uniform")
    func randomPool() async {
        // 4 tasks x 300 draws of 32 bytes: 9.4 pools' worth, so every draw count crosses refills.
        let draws = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<300).map { _ in RandomPool.withBytes(count: 32) { Array($0) } } }
            }
            return await group.reduce(into: [[UInt8]]()) { $0 += $1 }
        }
        #expect(draws.count == 1200 && draws.allSatisfy { $0.count == 32 })
        #expect(Set(draws).count == draws.count, "no two draws alike: nothing handed out twice")
        #expect(!draws.contains { $0.allSatisfy { $0 == 0 } }, "no erased bytes handed out")
        // 38,400 bytes: a uniform source puts each of the 8 top-bit patterns near 4,800 (sd about 65).
        var buckets = [Int](repeating: 0, count: 8)
        for byte in draws.joined() { buckets[Int(byte >> 5)] += 1 }
        #expect(buckets.allSatisfy { (4300...5300).contains($0) }, "\(buckets)")
        let sizes = [1, 16, 255, 256].map { count in RandomPool.withBytes(count: count) { $0.count } }
        #expect(sizes == [1, 16, 255, 256])
    }

    @Test("access tokens are tsr_at_, the expiry day and 256 random bits, stored as their SHA-256")
    func accessTokens() throws {
        let expiry = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 UTC, day 20775
        let token = TokenReference.generate(.access, expiresAt: expiry)
        #expect(token.hasPrefix("tsr_at_20775."))
        #expect(token.dropFirst("tsr_at_20775.".count).count == 43)  // 32 bytes in base64url
        #expect(TokenHash(of: token).bytes.count == 32)
        #expect(TokenHash(of: token) == TokenHash(of: token))
        #expect(TokenHash(of: token) != TokenHash(of: TokenReference.generate(.access, expiresAt: expiry)))
        let reference = try #require(TokenReference(token))
        #expect(reference.kind == .access)
        #expect(reference.hash == TokenHash(of: token))
        #expect(reference.expiryDayRange.contains(expiry))
        #expect(TokenReference(TokenReference.generate(.refresh, expiresAt: expiry))?.kind == .refresh)
    }

    @Test(
        "anything but a token of ours is no reference",
        arguments: [
            "", "tsr_at_", "tsr_at_20775", "tsr_at_.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "tsr_at_1234567.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "tsr_at_20775.AAAA",
            "tsr_at_20775.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
            "tsr_xx_20775.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "tsr_at_-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "Bearer tsr_at_20775.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ])
    func malformedReferences(_ token: String) {
        #expect(TokenReference(token) == nil)
    }
}
