import Foundation

/// Which live token a request may get back (issue 18): one whose remaining lifetime is at most the lifetime the
/// request asked for, so that reuse never hands out a token longer-lived than asked, and more than the application's
/// `reuseMinRemaining`, so that a client does not get a token about to expire. Any other request gets a new token.
enum ReuseRule {
    static func allows(remaining: TimeInterval, lifetime: Int, minimumRemaining: Int) -> Bool {
        remaining > TimeInterval(minimumRemaining) && remaining <= TimeInterval(lifetime)
    }
}
