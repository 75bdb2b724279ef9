/// A piece of HTML that is safe to send: text interpolated into it is escaped, other `HTML` is inserted as it is.
/// Pages are written as string literals, so a value from a request or the database can only ever become text.
///
/// ```swift
/// let row: HTML = "<li>\(client.name)</li>"          // escaped
/// let list: HTML = "<ul>\(rows)</ul>"                 // [HTML], inserted as is
/// ```
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String

    public init(stringLiteral literal: String) { text = literal }

    public init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    /// Markup the caller vouches for, never built from input.
    public init(trusted markup: String) { text = markup }

    public var description: String { text }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// Text: escaped for an element's content and for a quoted attribute value alike.
        public mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        public mutating func appendInterpolation(_ value: Int) { text += String(value) }

        public mutating func appendInterpolation(_ html: HTML) { text += html.text }

        public mutating func appendInterpolation(_ parts: [HTML]) {
            for part in parts { text += part.text }
        }
    }

    /// `&`, `<`, `>`, `"` and `'` as character references: enough for text and for attribute values in quotes.
    public static func escape(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
