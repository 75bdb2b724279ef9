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
        appendName(name)
        JSONString.append(value, to: &text)
        return self
    }

    consuming func adding(_ name: String, _ values: [String]) -> JSONObject {
        appendName(name)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            JSONString.append(value, to: &text)
        }
        text += "]"
        return self
    }

    consuming func adding(_ name: String, _ value: Int) -> JSONObject {
        appendName(name)
        text += String(value)
        return self
    }

    consuming func adding(_ name: String, _ value: Bool) -> JSONObject {
        appendName(name)
        text += value ? "true" : "false"
        return self
    }

    /// An RFC 9457 problem of no type of its own (`about:blank`): what answers under `/admin/` look like when no
    /// admin route made them (the connection guard's refusals, unknown paths).
    static func problem(title: String, status: Int, detail: String) -> ByteBuffer {
        JSONObject().adding("type", "about:blank").adding("title", title).adding("status", status)
            .adding("detail", detail).buffer()
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
