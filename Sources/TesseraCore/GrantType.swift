/// The value of the `grant_type` parameter, such as `client_credentials`.
public struct GrantType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: GrantType, rhs: GrantType) -> Bool { lhs.rawValue < rhs.rawValue }
}
