import Foundation
import TesseraTesting
import Testing

@testable import TesseraCore

@Suite("Login throttle")
struct LoginThrottleTests {

    let clock = TestClock(Date(timeIntervalSince1970: 1_000_000))
    let key = LoginThrottleKey(tenantID: 1, username: "Alice")

    func throttle(window: TimeInterval = 60) -> LoginThrottle {
        let clock = clock
        return LoginThrottle(freeFailures: 3, baseDelay: 2, window: window, now: { clock.now })
    }

    @Test("the first failures cost nothing; then the wait doubles per failure")
    func growingDelay() {
        let throttle = throttle()
        for _ in 0..<2 { throttle.recordFailure(key) }
        #expect(throttle.retryAfter(key) == nil)
        throttle.recordFailure(key)
        #expect(throttle.retryAfter(key) == 2)
        throttle.recordFailure(key)
        #expect(throttle.retryAfter(key) == 4)
        throttle.recordFailure(key)
        #expect(throttle.retryAfter(key) == 8)
    }

    @Test("usernames are throttled case-insensitively, per tenant")
    func keys() {
        let throttle = throttle()
        for _ in 0..<3 { throttle.recordFailure(key) }
        #expect(throttle.retryAfter(LoginThrottleKey(tenantID: 1, username: "ALICE")) != nil)
        #expect(throttle.retryAfter(LoginThrottleKey(tenantID: 2, username: "alice")) == nil)
    }

    @Test("a success resets the count")
    func successResets() {
        let throttle = throttle()
        for _ in 0..<5 { throttle.recordFailure(key) }
        throttle.recordSuccess(key)
        #expect(throttle.retryAfter(key) == nil)
    }

    @Test("no flood of failures locks a user out for longer than the window")
    func boundedByWindow() {
        let throttle = throttle(window: 60)
        for _ in 0..<100 { throttle.recordFailure(key) }
        #expect(throttle.retryAfter(key) == 60)
        clock.advance(by: 60)
        #expect(throttle.retryAfter(key) == nil)
        throttle.recordFailure(key)
        #expect(throttle.retryAfter(key) == nil)  // forgotten after the window: counting starts again
    }

    @Test("memory is bounded: past the cap, new names are not tracked")
    func bounded() {
        let clock = clock
        let throttle = LoginThrottle(freeFailures: 0, maximumEntries: 2, now: { clock.now })
        for name in ["a", "b", "c"] { throttle.recordFailure(.init(tenantID: 1, username: name)) }
        #expect(throttle.retryAfter(.init(tenantID: 1, username: "a")) != nil)
        #expect(throttle.retryAfter(.init(tenantID: 1, username: "c")) == nil)
        // Once the old entries have expired, the full table is swept and a new name is tracked again.
        clock.advance(by: 901)
        throttle.recordFailure(.init(tenantID: 1, username: "d"))
        #expect(throttle.retryAfter(.init(tenantID: 1, username: "d")) != nil)
    }
}
