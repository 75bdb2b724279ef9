import Foundation
import Synchronization

/// The time as a service under test sees it, moved by the test instead of sleeping: a test that sleeps depends on
/// how fast a loaded machine answers. Pass `{ clock.now }` wherever the code takes a `now` closure.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date()) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}
