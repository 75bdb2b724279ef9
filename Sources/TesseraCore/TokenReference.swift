import Foundation

/// A token as a client presents it, read without any I/O: its kind, its hash, and the UTC day it expires on.
///
/// Tokens are `tsr_at_<day>.<random>` (access) and `tsr_rt_<day>.<random>` (refresh): the prefix lets secret
/// scanners spot a leaked token, and the day, days since 1970-01-01 UTC, lets a lookup by hash go straight to
/// the one partition of the token table that holds that day. The hash covers the whole text, day included,
/// so a changed day finds nothing. JWT access tokens are read the same way, the day taken from `exp`.
public struct TokenReference: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case access = "tsr_at_"
        case refresh = "tsr_rt_"
    }

    public let kind: Kind
    public let hash: TokenHash
    /// Days since 1970-01-01 UTC of the token's expiry.
    public let expiryDay: Int

    static let randomLength = 43
    static let secondsPerDay = 86_400

    /// Longest JWT access token read: ours are well under 1 KiB.
    static let maximumJWTLength = 4096

    /// Reads a presented token; nil for anything that is not a token of ours.
    public init?(_ token: String) {
        let utf8 = token.utf8
        if utf8.count > 64 {
            guard let day = Self.jwtExpiryDay(token) else { return nil }
            self.kind = .access
            self.hash = TokenHash(of: token)
            self.expiryDay = day
            return
        }
        guard utf8.count <= 64, utf8.count > 7,
            let kind = Kind(rawValue: String(decoding: utf8.prefix(7), as: UTF8.self))
        else { return nil }
        let rest = utf8.dropFirst(7)
        guard let dot = rest.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let digits = rest[rest.startIndex..<dot]
        let random = rest[rest.index(after: dot)...]
        guard (1...6).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            random.count == Self.randomLength, random.allSatisfy(Self.isBase64URL),
            let day = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        self.kind = kind
        self.hash = TokenHash(of: token)
        self.expiryDay = day
    }

    /// A token known by its stored parts (a code's record of what it issued).
    public init(kind: Kind, hash: TokenHash, expiryDay: Int) {
        self.kind = kind
        self.hash = hash
        self.expiryDay = expiryDay
    }

    /// A new random token of `kind` that expires at `expiresAt`.
    public static func generate(_ kind: Kind, expiresAt: Date) -> String {
        "\(kind.rawValue)\(day(of: expiresAt)).\(CredentialGenerator.randomBase64URL(byteCount: 32))"
    }

    /// The UTC day `date` falls on, in days since 1970-01-01.
    public static func day(of date: Date) -> Int {
        Int((date.timeIntervalSince1970 / Double(secondsPerDay)).rounded(.down))
    }

    /// The start and end of the token's expiry day: its expiry lies in `start..<end`.
    public var expiryDayRange: Range<Date> {
        let start = Date(timeIntervalSince1970: Double(expiryDay * Self.secondsPerDay))
        return start..<start.addingTimeInterval(Double(Self.secondsPerDay))
    }

    /// A JWT access token (RFC 9068) is found like an opaque one, by the hash of its whole text; the day of its
    /// `exp` names the partition. Nothing in it is trusted: a token whose claims were changed hashes to nothing
    /// stored, and verifying the signature here would add work without adding safety.
    private static func jwtExpiryDay(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard utf8.count <= maximumJWTLength, utf8.starts(with: "eyJ".utf8) else { return nil }
        let parts = utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isBase64URL) }),
            let payload = Base64URL.decode(Substring(parts[1])),
            let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
            let exp = claims["exp"] as? Int, exp > 0, exp < 1 << 40
        else { return nil }
        return exp / secondsPerDay
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }
}
