/// Splits a SQL file into statements, since PostgreSQL's extended protocol (which PostgresNIO speaks) runs
/// one statement per query.
///
/// Semicolons inside strings (including `E'...'` with backslash escapes), quoted identifiers, comments (block
/// comments nest, as in PostgreSQL) and dollar-quoted bodies do not split. Comments are dropped.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var scanner = Scanner(characters: Array(script.unicodeScalars))
        return scanner.scan()
    }

    private struct Scanner {
        let characters: [Unicode.Scalar]
        var index = 0
        var current = String.UnicodeScalarView()
        var statements: [String] = []

        init(characters: [Unicode.Scalar]) { self.characters = characters }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < characters.count ? characters[index + offset] : nil
        }

        mutating func scan() -> [String] {
            while let character = peek() {
                switch character {
                case ";":
                    index += 1
                    flush()
                case "'":
                    quoted("'", backslashEscapes: isEscapeStringPrefix())
                case "\"":
                    quoted("\"", backslashEscapes: false)
                case "-" where peek(1) == "-":
                    while let next = peek(), next != "\n" { index += 1 }
                case "/" where peek(1) == "*":
                    blockComment()
                    current.append(" ")
                case "$":
                    if let tag = dollarTag() { dollarQuoted(tag) } else { keep() }
                default:
                    keep()
                }
            }
            flush()
            return statements
        }

        mutating func keep() {
            current.append(characters[index])
            index += 1
        }

        mutating func flush() {
            let statement = String(current).trimmingWhitespace()
            if !statement.isEmpty { statements.append(statement) }
            current = String.UnicodeScalarView()
        }

        /// `'...'` or `"..."`: a doubled quote stays inside; in `E'...'` so does a backslash-escaped one.
        mutating func quoted(_ quote: Unicode.Scalar, backslashEscapes: Bool) {
            keep()
            while let character = peek() {
                if backslashEscapes && character == "\\" && peek(1) != nil {
                    keep()
                    keep()
                } else if character == quote {
                    keep()
                    if peek() == quote { keep() } else { return }
                } else {
                    keep()
                }
            }
        }

        /// An `E` or `e` right before the quote, not the end of a longer word.
        func isEscapeStringPrefix() -> Bool {
            guard index >= 1, characters[index - 1] == "E" || characters[index - 1] == "e" else { return false }
            guard index >= 2 else { return true }
            let before = characters[index - 2]
            return !(before.properties.isAlphabetic || before == "_" || ("0"..."9").contains(before))
        }

        mutating func blockComment() {
            var depth = 0
            while peek() != nil {
                if peek() == "/" && peek(1) == "*" {
                    depth += 1
                    index += 2
                } else if peek() == "*" && peek(1) == "/" {
                    depth -= 1
                    index += 2
                    if depth == 0 { return }
                } else {
                    index += 1
                }
            }
        }

        /// `$$` or `$tag$` (a letter or `_`, then letters, digits or `_`); nil for `$1` and the like.
        func dollarTag() -> [Unicode.Scalar]? {
            var end = index + 1
            while end < characters.count {
                let character = characters[end]
                if character == "$" { return Array(characters[index...end]) }
                let isLetter = character.properties.isAlphabetic || character == "_"
                let isDigit = ("0"..."9").contains(character)
                guard isLetter || (isDigit && end > index + 1) else { return nil }
                end += 1
            }
            return nil
        }

        mutating func dollarQuoted(_ tag: [Unicode.Scalar]) {
            for _ in tag { keep() }
            while peek() != nil {
                if Array(characters[index..<min(index + tag.count, characters.count)]) == tag {
                    for _ in tag { keep() }
                    return
                }
                keep()
            }
        }
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
