/// A JSON string literal (RFC 8259 §7), for the two places that write JSON by hand: response bodies on the hot
/// path and JSON log lines. U+2028 and U+2029 are escaped too, so a line is also safe for JavaScript readers.
public enum JSONString {
    public static func append(_ value: String, to text: inout String) {
        text += "\""
        // Almost every value (keys, scopes, names) needs no escape: appended whole. 0xE2 starts U+2028/U+2029.
        if !value.utf8.contains(where: {
            $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0xE2
        }) {
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
}
