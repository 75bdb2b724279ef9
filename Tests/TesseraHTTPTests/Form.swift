import Foundation

/// `application/x-www-form-urlencoded` as a client writes it: what the tests send, built the way RFC 6749 §2.3.1
/// and appendix B describe, independently of the decoder under test.
enum Form {
    static let contentType = "application/x-www-form-urlencoded"

    /// A form body; pairs stay in order and may repeat, so that tests can send what a server must refuse.
    static func body(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// Form encoding of one name or value: unreserved characters as they are, a space as `+`, any other byte `%XX`.
    static func encode(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                encoded += "+"
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// `Authorization: Basic` with both halves form-encoded first (RFC 6749 §2.3.1).
    static func basic(_ key: String, _ secret: String) -> String {
        rawBasic(encode(key) + ":" + encode(secret))
    }

    static func basic(_ application: TestApplication) -> String {
        basic(application.key, application.secret)
    }

    /// `Authorization: Basic` over exactly `userPass`, for clients that do not encode (or send garbage).
    static func rawBasic(_ userPass: String) -> String {
        "Basic " + Data(userPass.utf8).base64EncodedString()
    }

    /// client_secret_post: the credentials as body parameters.
    static func credentials(_ application: TestApplication) -> [(String, String)] {
        [("client_id", application.key), ("client_secret", application.secret)]
    }

    static let clientCredentials = [("grant_type", "client_credentials")]
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
