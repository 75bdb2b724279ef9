/// A set of scope tokens (RFC 6749 §3.3), kept in a stable order for responses and storage.
public struct ScopeSet: Hashable, Sendable, CustomStringConvertible {
    /// The scope tokens, sorted and without duplicates.
    public let tokens: [String]

    /// Builds a set from tokens that are already known to be valid (from storage or validated input).
    public init(_ tokens: some Sequence<String>) {
        // Sorted, then duplicates dropped as neighbours: cheaper than a Set for the few tokens of a request.
        var sorted = Array(tokens)
        sorted.sort()
        var unique: [String] = []
        unique.reserveCapacity(sorted.count)
        for token in sorted where token != unique.last { unique.append(token) }
        self.tokens = unique
    }

    /// Parses a space-delimited `scope` parameter.
    /// - Throws: `invalid_scope` when a token has characters that RFC 6749 §3.3 does not allow.
    public init(parsing value: String) throws(OAuthError) {
        var tokens: [String] = []
        for token in value.split(separator: " ", omittingEmptySubsequences: true) {
            guard Self.isValidToken(token) else {
                throw OAuthError(.invalidScope, "the scope parameter is malformed")
            }
            tokens.append(String(token))
        }
        guard !tokens.isEmpty else { throw OAuthError(.invalidScope, "the scope parameter is empty") }
        self.init(tokens)
    }

    /// The space-delimited form used in responses.
    public var description: String { tokens.joined(separator: " ") }
    public var isEmpty: Bool { tokens.isEmpty }

    public func isSubset(of other: ScopeSet) -> Bool { Set(tokens).isSubset(of: other.tokens) }

    public func intersection(_ other: ScopeSet) -> ScopeSet { ScopeSet(Set(tokens).intersection(other.tokens)) }

    /// The tokens of `self` that `other` lacks, in order.
    public func subtracting(_ other: ScopeSet) -> [String] {
        let allowed = Set(other.tokens)
        return tokens.filter { !allowed.contains($0) }
    }
}

extension ScopeSet {
    /// The longest scope token accepted; longer ones are malformed.
    public static let maximumTokenLength = 128

    /// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); also bounded in length, as every input is.
    public static func isValidToken<S: StringProtocol>(_ token: S) -> Bool {
        let bytes = token.utf8
        guard !bytes.isEmpty, bytes.count <= maximumTokenLength else { return false }
        return bytes.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }
}
