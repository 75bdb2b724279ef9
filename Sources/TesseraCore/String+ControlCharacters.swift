extension StringProtocol {
    /// Whether any character is a control character (Unicode category Cc: NUL and the other C0 codes, DEL, C1).
    /// No name, key or secret Tessera stores has one, and PostgreSQL's text cannot hold a NUL at all: an input
    /// with one is refused before it reaches a query, which would fail with it.
    ///
    /// Cc is exactly U+0000-U+001F and U+007F-U+009F, so the UTF-8 bytes say it: a byte below 0x20, 0x7F, or 0xC2
    /// followed by 0x80-0x9F. Every token request checks its key and secret, and asking each scalar for its Unicode
    /// category cost 1.5% of the server's CPU (perf, session 15).
    public var hasControlCharacters: Bool {
        var previous: UInt8 = 0
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) { return true }
            previous = byte
        }
        return false
    }
}
