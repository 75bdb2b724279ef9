extension Substring.UTF8View {
    /// Without leading and trailing spaces and tabs (what HTTP calls optional whitespace). On bytes: splitting and
    /// trimming Characters cost more on the request path than the checks they fed.
    public func trimmingSpacesAndTabs() -> Substring.UTF8View {
        var bytes = self
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return bytes
    }

    /// Equal to `lowercase` (ASCII, lower case) but for the case of ASCII letters.
    ///
    /// A loop over concrete types on purpose: written generically (`zip(...).allSatisfy`) and called from another
    /// module, it was not specialised and looked up generic metadata on every call, 7% of the server's CPU
    /// under introspection load (perf).
    public func equalsIgnoringASCIICase(_ lowercase: StaticString) -> Bool {
        guard count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            var position = 0
            for byte in self {
                let wanted = expected[position]
                guard byte == wanted || (byte >= 0x41 && byte <= 0x5A && byte | 0x20 == wanted) else { return false }
                position += 1
            }
            return true
        }
    }
}
