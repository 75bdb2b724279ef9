/// A JSON string literal (RFC 8259 §7), for the two places that write JSON by hand: response bodies on the hot
/// path and JSON log lines. U+2028 and U+2029 are escaped too, so a line is also safe for JavaScript readers.
public enum JSONString {
    public static func append(_ value: String, to text: inout String) {
        text += "\""
        // Almost every value (keys, scopes, names, tokens) needs no escape: appended whole.
        if !needsEscape(value) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case let c where c.value < 0x20 || c.value == 0x2028 || c.value == 0x2029:
                let hex = String(c.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// The same literal appended to UTF-8 bytes, for text built as bytes (a JWT's payload).
    public static func append(_ value: String, to bytes: inout [UInt8]) {
        if needsEscape(value) {
            var text = ""
            append(value, to: &text)
            bytes.append(contentsOf: text.utf8)
        } else {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// Whether any byte of `value` needs an escape: a control character, a quote, a backslash, or 0xE2, which starts
    /// U+2028 and U+2029. Scanned over the string's contiguous storage: a 500-byte JWT in a token response took
    /// 3 µs through the UTF-8 view's iterator.
    private static func needsEscape(_ value: String) -> Bool {
        let escaped = { (byte: UInt8) in
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0xE2
        }
        return value.utf8.withContiguousStorageIfAvailable { $0.contains(where: escaped) }
            ?? value.utf8.contains(where: escaped)
    }
}
