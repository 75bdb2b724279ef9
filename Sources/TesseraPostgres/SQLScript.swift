/// Splits a SQL file into statements, since PostgreSQL's extended protocol (which PostgresNIO speaks) runs
/// one statement per query.
///
/// Semicolons inside quotes, quoted identifiers, comments and dollar-quoted bodies do not split.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let statement = String(current).trimmingWhitespace()
            if !statement.isEmpty { statements.append(statement) }
            current = String.UnicodeScalarView()
        }
        /// Moves past everything up to and including `terminator`, keeping it unless it is a comment.
        func take(until terminator: [Unicode.Scalar], keep: Bool = true) {
            while index < characters.count {
                if Array(characters[index..<min(index + terminator.count, characters.count)]) == terminator {
                    if keep { current.append(contentsOf: terminator) }
                    index += terminator.count
                    return
                }
                if keep { current.append(characters[index]) }
                index += 1
            }
        }

        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case ";":
                index += 1
                flush()
            case "'", "\"":
                current.append(character)
                index += 1
                take(until: [character])  // '' and "" escapes are two quoted runs back to back: still correct
            case "-" where next == "-":
                take(until: ["\n"], keep: false)
                current.append("\n")
            case "/" where next == "*":
                take(until: ["*", "/"], keep: false)
                current.append(" ")
            case "$":
                if let tag = dollarTag(characters, at: index) {
                    current.append(contentsOf: tag)
                    index += tag.count
                    take(until: tag)
                } else {
                    current.append(character)
                    index += 1
                }
            default:
                current.append(character)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, or nil when the `$` is something else (`$1`).
    private static func dollarTag(_ characters: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < characters.count, characters[end] == "_" || characters[end].properties.isAlphabetic {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        return Array(characters[index...end])
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
