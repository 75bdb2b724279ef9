import Logging
import TesseraCore

/// A JSON object written member by member into one string (RFC 8259).
struct JSONLine {
    private var text = "{"

    mutating func member(_ name: String, _ value: Logger.MetadataValue) {
        if text.utf8.count > 1 { text += "," }
        JSONString.append(name, to: &text)
        text += ":"
        Self.append(value, to: &text)
    }

    func finished() -> String { text + "}" }

    private static func append(_ value: Logger.MetadataValue, to text: inout String) {
        switch value {
        case .string(let string):
            JSONString.append(string, to: &text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: text += "\(number)"
            case let number as Double where number.isFinite: text += "\(number)"
            case let number as Float where number.isFinite: text += "\(number)"
            case let flag as Bool: text += flag ? "true" : "false"
            default: JSONString.append(convertible.description, to: &text)
            }
        case .array(let values):
            text += "["
            for (index, element) in values.enumerated() {
                if index > 0 { text += "," }
                append(element, to: &text)
            }
            text += "]"
        case .dictionary(let members):
            text += "{"
            for (index, (name, element)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text += "," }
                JSONString.append(name, to: &text)
                text += ":"
                append(element, to: &text)
            }
            text += "}"
        }
    }
}
