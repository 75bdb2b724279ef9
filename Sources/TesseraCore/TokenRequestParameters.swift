/// The form parameters of a token request.
///
/// RFC 6749 §3.2: a parameter sent without a value is treated as omitted, so empty values read as absent; and
/// parameters "MUST NOT be included more than once", unless an extension says otherwise (RFC 8707's `resource`
/// is repeatable). So repetition is kept, and refused by the endpoint for every name the grant did not declare
/// repeatable (`GrantHandler.repeatableParameters`).
public struct TokenRequestParameters: Sendable {
    /// Each name's first value, empty or not. A request's form is a handful of names sent once: one dictionary
    /// entry each, as before repetition was kept (this is the token endpoint's hot path).
    private var first: [String: String]
    /// Every value of each name sent more than once, in order.
    private var repeated: [String: [String]] = [:]

    /// Parameters sent once each.
    public init(_ values: [String: String] = [:]) {
        self.first = values
    }

    /// Adds one `name=value` pair as it came in the form.
    public mutating func append(_ name: String, _ value: String) {
        guard let earlier = first[name] else {
            first[name] = value
            return
        }
        repeated[name, default: [earlier]].append(value)
    }

    /// Whether `name` was sent more than once, empty values included.
    public func isRepeated(_ name: String) -> Bool { repeated[name] != nil }

    /// The value of `name`, nil when absent or empty; the first one of a repeatable parameter.
    public subscript(name: String) -> String? {
        if let value = first[name], !value.isEmpty { return value }
        // Only a repeated name can still have a value: one sent empty first (`scope=&scope=read`).
        return repeated[name]?.first { !$0.isEmpty }
    }

    /// Every non-empty value of `name`, in the order sent: for a parameter the grant declared repeatable.
    public func all(_ name: String) -> [String] {
        if let values = repeated[name] { return values.filter { !$0.isEmpty } }
        return first[name].map { $0.isEmpty ? [] : [$0] } ?? []
    }

    /// The names with a value.
    public var names: [String] { first.keys.filter { self[$0] != nil } }

    /// Only the parameters named in `allowed`: a grant sees nothing it did not declare.
    public func restricted(to allowed: Set<String>) -> TokenRequestParameters {
        var restricted = TokenRequestParameters(first.filter { allowed.contains($0.key) })
        restricted.repeated = repeated.filter { allowed.contains($0.key) }
        return restricted
    }

    /// Refuses the request when a parameter not in `repeatable` was sent more than once.
    public func refuseRepetition(except repeatable: Set<String> = []) throws(OAuthError) {
        guard repeated.keys.allSatisfy(repeatable.contains) else {
            throw .invalidRequest("a parameter was sent more than once")
        }
    }
}
