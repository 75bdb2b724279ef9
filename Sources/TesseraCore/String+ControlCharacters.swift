extension StringProtocol {
    /// Whether any character is a control character (Unicode category Cc: NUL and the other C0 codes, DEL, C1).
    /// No name, key or secret Tessera stores has one, and PostgreSQL's text cannot hold a NUL at all: an input
    /// with one is refused before it reaches a query, which would fail with it.
    public var hasControlCharacters: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
