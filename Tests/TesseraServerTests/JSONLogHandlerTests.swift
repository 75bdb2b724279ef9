import Foundation
import Logging
import Synchronization
import TesseraServer
import Testing

@Suite("JSON log handler")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    static func logger(_ lines: Lines) -> Logger {
        var logger = Logger(label: "tessera") { label in
            JSONLogHandler(label: label) { line in lines.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .debug
        return logger
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    @Test("one object a line: the fixed members, metadata beside them, numbers as numbers")
    func members() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "hb.request.id"] = "abc"
        logger.info(
            "request",
            metadata: [
                "status": .stringConvertible(200), "latency_ms": .stringConvertible(1.25),
                "secure": .stringConvertible(true), "path": "/t/acme.com/token",
                "list": ["a", .stringConvertible(2)], "nested": ["k": "v"],
            ])
        let line = try #require(lines.all.first)
        #expect(!line.contains("\n"))
        let object = try Self.object(line)
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "tessera")
        #expect(object["message"] as? String == "request")
        #expect(object["hb.request.id"] as? String == "abc")
        #expect(object["status"] as? Int == 200)
        #expect(object["latency_ms"] as? Double == 1.25)
        #expect(object["secure"] as? Bool == true)
        #expect(object["path"] as? String == "/t/acme.com/token")
        #expect((object["list"] as? [Any])?.count == 2)
        #expect((object["nested"] as? [String: String]) == ["k": "v"])
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"))
    }

    @Test("control characters, quotes and line separators are escaped; a shadowing key is prefixed")
    func escaping() throws {
        let lines = Lines()
        let logger = Self.logger(lines)
        let hostile = "a\"b\\c\nd\re\tf\u{01}g\u{2028}h"
        logger.warning("\(hostile)", metadata: ["message": "\(hostile)", "level": "x"])
        let line = try #require(lines.all.first)
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"))
        let object = try Self.object(line)
        #expect(object["message"] as? String == hostile)
        #expect(object["metadata.message"] as? String == hostile)
        #expect(object["level"] as? String == "warning")
        #expect(object["metadata.level"] as? String == "x")
    }
}
