/// The form parameters of a token request.
///
/// RFC 6749 §3.2: a parameter sent without a value is treated as omitted, so empty values are dropped here; and
/// parameters "MUST NOT be included more than once", unless an extension says otherwise (RFC 8707's `resource`
/// is repeatable). So repetition is kept, and refused by the endpoint for every name the grant did not declare
/// repeatable (`GrantHandler.repeatableParameters`).
public struct TokenRequestParameters: Sendable {
    private var values: [String: [String]]
    /// The names sent more than once, empty values included.
    public private(set) var repeatedNames: Set<String>

    /// Parameters sent once each.
    public init(_ values: [String: String]) {
        self.init(all: values.mapValues { [$0] })
    }

    /// Parameters as sent, each name with its values in order.
    public init(all values: [String: [String]]) {
        self.repeatedNames = Set(values.filter { $0.value.count > 1 }.keys)
        self.values = values.compactMapValues { values in
            let present = values.filter { !$0.isEmpty }
            return present.isEmpty ? nil : present
        }
    }

    /// The value of `name`, the first one for a repeatable parameter.
    public subscript(name: String) -> String? { values[name]?.first }

    /// Every value of `name`, in the order sent: for a parameter the grant declared repeatable.
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    public var names: Dictionary<String, [String]>.Keys { values.keys }

    /// Only the parameters named in `allowed`: a grant sees nothing it did not declare.
    public func restricted(to allowed: Set<String>) -> TokenRequestParameters {
        var restricted = self
        restricted.values = values.filter { allowed.contains($0.key) }
        restricted.repeatedNames = repeatedNames.intersection(allowed)
        return restricted
    }

    /// Refuses the request when a parameter not in `repeatable` was sent more than once.
    public func refuseRepetition(except repeatable: Set<String> = []) throws(OAuthError) {
        guard repeatedNames.isSubset(of: repeatable) else {
            throw .invalidRequest("a parameter was sent more than once")
        }
    }
}
