/// The form parameters of a token request, each name at most once.
///
/// RFC 6749 §3.2: a parameter sent without a value is treated as omitted, so empty values are dropped here.
/// The HTTP layer rejects repeated names before it builds this value.
public struct TokenRequestParameters: Sendable {
    private var values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values.filter { !$0.value.isEmpty }
    }

    public subscript(name: String) -> String? { values[name] }

    public var names: Dictionary<String, String>.Keys { values.keys }

    /// Only the parameters named in `allowed`: a grant sees nothing it did not declare.
    public func restricted(to allowed: Set<String>) -> TokenRequestParameters {
        TokenRequestParameters(values.filter { allowed.contains($0.key) })
    }
}
