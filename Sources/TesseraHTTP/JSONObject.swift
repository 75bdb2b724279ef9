import NIOCore
import TesseraCore

/// A flat JSON object of string and integer members, written straight into a buffer.
///
/// Token responses are on the hot path and have a fixed, flat shape; this avoids a `JSONEncoder` and its
/// intermediate containers, and escapes every string per RFC 8259 §7. The builder methods consume the object, so
/// a chain of them appends to one string instead of copying it at each member.
struct JSONObject {
    private var text = "{"

    consuming func adding(_ name: String, _ value: String) -> JSONObject {
        var copy = self
        copy.appendName(name)
        JSONString.append(value, to: &copy.text)
        return copy
    }

    consuming func adding(_ name: String, _ value: Int) -> JSONObject {
        var copy = self
        copy.appendName(name)
        copy.text += String(value)
        return copy
    }

    consuming func adding(_ name: String, _ value: Bool) -> JSONObject {
        var copy = self
        copy.appendName(name)
        copy.text += value ? "true" : "false"
        return copy
    }

    consuming func buffer() -> ByteBuffer {
        text += "}"
        return ByteBuffer(string: text)
    }

    private mutating func appendName(_ name: String) {
        if text.utf8.count > 1 { text += "," }
        JSONString.append(name, to: &text)
        text += ":"
    }
}
