import Foundation
import Testing

@testable import TesseraCore

/// The key timeline (issue 13): next -> active -> retired -> gone, as pure functions of the clock. The property that
/// matters is checked exhaustively over a whole rotation: a verifier that fetched the key set at any moment accepts
/// every token issued while its copy is fresh.
@Suite("Signing key timeline")
struct SigningKeyTimelineTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let lifetime: TimeInterval = 7200

    func key(_ id: String, created: TimeInterval, activates: TimeInterval, retired: TimeInterval? = nil)
        -> SigningKey
    {
        SigningKey(
            id: id, algorithm: .es256, publicJWK: "{\"kid\":\"\(id)\"}", createdAt: start + created,
            activatesAt: start + activates, retiredAt: retired.map { start + $0 })
    }

    @Test("a tenant's first key signs at once; a rotated-in key waits longer than the key set may be cached")
    func activation() {
        let empty = SigningKeyTimeline(keys: [], longestTokenLifetime: lifetime)
        #expect(empty.signer(at: start) == nil)
        #expect(empty.activation(ofKeyMadeAt: start) == start)
        let first = SigningKeyTimeline(keys: [key("a", created: 0, activates: 0)], longestTokenLifetime: lifetime)
        let next = first.activation(ofKeyMadeAt: start + 100)
        #expect(next.timeIntervalSince(start + 100) > TimeInterval(SigningKeyTimeline.keySetMaxAge))
    }

    @Test("states across a rotation: next, active, retired while its tokens live, then expired")
    func states() {
        let delay = SigningKeyTimeline.activationDelay
        let a = key("a", created: 0, activates: 0)
        let b = key("b", created: 1000, activates: 1000 + delay)
        let timeline = SigningKeyTimeline(keys: [a, b], longestTokenLifetime: lifetime)
        #expect(timeline.state(of: a, at: start + 500) == .active)
        #expect(timeline.state(of: b, at: start + 500) == .next)  // not even made yet: still not signing
        #expect(timeline.state(of: b, at: start + 1000) == .next)
        #expect(timeline.signer(at: start + 1000 + delay - 1)?.id == "a")
        #expect(timeline.signer(at: start + 1000 + delay)?.id == "b")
        #expect(timeline.state(of: a, at: start + 1000 + delay) == .retired)
        let gone = start + 1000 + delay + lifetime + TimeInterval(SigningKeyTimeline.keySetMaxAge)
        #expect(timeline.state(of: a, at: gone - 1) == .retired)
        #expect(timeline.state(of: a, at: gone) == .expired)
        #expect(timeline.published(at: gone).map(\.id) == ["b"])
        #expect(timeline.publishedUntil(a) == gone)
        #expect(timeline.signingEnds(b) == nil)
    }

    @Test("a key retired before it signed is withdrawn; retiring the signer hands over to the next key")
    func retirement() {
        let a = key("a", created: 0, activates: 0)
        let cancelled = key("b", created: 100, activates: 5000, retired: 200)
        let timeline = SigningKeyTimeline(keys: [a, cancelled], longestTokenLifetime: lifetime)
        #expect(timeline.state(of: cancelled, at: start + 150) == .next)
        #expect(timeline.state(of: cancelled, at: start + 200) == .expired)
        // The cancelled key never ended a's signing.
        #expect(timeline.signer(at: start + 6000)?.id == "a")
        #expect(timeline.signingEnds(a) == nil)

        let leaked = key("a", created: 0, activates: 0, retired: 300)
        let replacement = key("c", created: 300, activates: 300)
        let handedOver = SigningKeyTimeline(keys: [leaked, replacement], longestTokenLifetime: lifetime)
        #expect(handedOver.signer(at: start + 299)?.id == "a")
        #expect(handedOver.signer(at: start + 300)?.id == "c")
        #expect(handedOver.state(of: leaked, at: start + 300) == .retired)
    }

    @Test("automatic rotation: due so that the new key signs when the old one reaches the period, once")
    func rotationDue() {
        let period: TimeInterval = 30 * 86_400
        let a = key("a", created: 0, activates: 0)
        let timeline = SigningKeyTimeline(keys: [a], longestTokenLifetime: lifetime)
        let due = start + period - SigningKeyTimeline.activationDelay
        #expect(!timeline.needsRotation(at: due - 1, period: period))
        #expect(timeline.needsRotation(at: due, period: period))
        let made = key("b", created: period - SigningKeyTimeline.activationDelay, activates: period)
        let rotated = SigningKeyTimeline(keys: [a, made], longestTokenLifetime: lifetime)
        #expect(!rotated.needsRotation(at: due + 10, period: period))  // a key is already waiting
        #expect(SigningKeyTimeline(keys: [], longestTokenLifetime: lifetime).needsRotation(at: start, period: period))
    }

    @Test("a verifier that cached the key set at any moment accepts every token issued while its copy is fresh")
    func cachedVerifiers() {
        // Three rotations, one a day, each made by the rule: published now, signing after activationDelay.
        var keys = [key("k0", created: 0, activates: 0)]
        for day in 1...3 {
            let made = TimeInterval(day * 86_400)
            let timeline = SigningKeyTimeline(keys: keys, longestTokenLifetime: lifetime)
            keys.append(
                key(
                    "k\(day)", created: made,
                    activates: timeline.activation(ofKeyMadeAt: start + made).timeIntervalSince(start)))
        }
        let timeline = SigningKeyTimeline(keys: keys, longestTokenLifetime: lifetime)
        let maxAge = TimeInterval(SigningKeyTimeline.keySetMaxAge)
        var checked = 0
        // Every minute over four days: fetch the set, then sign a token every minute while the copy is fresh.
        for fetch in stride(from: 0, to: 4 * 86_400, by: 60) {
            let fetchedAt = start + TimeInterval(fetch)
            let cached = Set(timeline.published(at: fetchedAt).map(\.id))
            for issued in stride(from: 0, through: maxAge, by: 60) {
                guard let signer = timeline.signer(at: fetchedAt + issued) else {
                    Issue.record("no signer at \(fetch + Int(issued))")
                    return
                }
                if !cached.contains(signer.id) {
                    Issue.record("a verifier that fetched at \(fetch) s does not know \(signer.id)")
                    return
                }
                checked += 1
            }
            // A token issued before the fetch and still alive is verifiable too.
            for age in stride(from: 0, through: lifetime, by: 600) where fetch >= Int(age) {
                let signer = timeline.signer(at: fetchedAt - age)!
                #expect(cached.contains(signer.id), "token of \(signer.id) issued \(age) s before a fetch")
            }
        }
        #expect(checked > 300_000)
    }
}

/// The keys Tessera makes, checked against an independent verifier (`ClientKeySet`, the private_key_jwt verifier,
/// reading the published JWK) and after a round trip through their stored bytes.
@Suite("Signing key pairs")
struct SigningKeyPairTests {
    @Test(
        "each algorithm signs what its published JWK verifies, and survives being stored",
        arguments: SigningAlgorithm.allCases)
    func signsAndVerifies(algorithm: SigningAlgorithm) throws {
        let pair = try SigningKeyPair.generate(algorithm)
        let jwk = pair.publicJWK(kid: "k1")
        #expect(!jwk.contains("\"d\""), "no private member in the public JWK")
        let set = try ClientKeySet(json: "{\"keys\":[\(jwk)]}")
        let input = Data("header.payload".utf8)
        let signature = Data(try input.withUnsafeBytes { try pair.sign($0) })
        #expect(set.verifies(signature: signature, over: input, algorithm: algorithm.name, kid: "k1"))
        #expect(
            !set.verifies(signature: signature, over: Data("header.other".utf8), algorithm: algorithm.name, kid: "k1"))
        let stored = try #require(SigningKeyPair(algorithm: algorithm, privateKeyBytes: pair.privateKeyBytes))
        #expect(stored.publicJWK(kid: "k1") == jwk)
        #expect(SigningKeyPair(algorithm: algorithm, privateKeyBytes: [1, 2, 3]) == nil)
    }
}

@Suite("Signing key ids")
struct SigningKeyIDTests {
    @Test("a kid is 16 letters and digits, so that the CLI never takes it for an option")
    func typable() {
        for _ in 0..<2000 {
            let kid = SigningKey.newID()
            #expect(kid.utf8.count == 16)
            #expect(kid.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0 & 0xDF) }, "\(kid)")
        }
    }
}
