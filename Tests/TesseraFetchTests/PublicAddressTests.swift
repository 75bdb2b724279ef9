import NIOCore
import Testing

@testable import TesseraFetch

@Suite("Which addresses the fetcher connects to")
struct PublicAddressTests {
    @Test(
        "loopback, private, link-local, shared, documentation, multicast and embedded private addresses are refused",
        arguments: [
            ("127.0.0.1", false), ("10.1.2.3", false), ("169.254.169.254", false), ("172.16.0.1", false),
            ("172.31.255.255", false), ("172.32.0.1", true), ("192.168.1.1", false), ("100.64.0.1", false),
            ("100.128.0.1", true), ("0.0.0.0", false), ("255.255.255.255", false), ("224.0.0.1", false),
            ("192.0.2.1", false), ("198.18.0.1", false), ("8.8.8.8", true), ("1.1.1.1", true), ("::1", false),
            ("::", false), ("fe80::1", false), ("fd00::1", false), ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true), ("64:ff9b::a00:1", false), ("2002::1", false), ("ff02::1", false),
            ("2001:db8::1", false), ("2606:4700:4700::1111", true),
        ])
    func classification(address: String, expected: Bool) throws {
        let socket = try SocketAddress(ipAddress: address, port: 443)
        #expect(PublicAddress.isPublic(socket) == expected, "\(address)")
    }

    @Test(
        "URLs that cannot be fetched safely are refused before any connection",
        arguments: [
            "http://example.com/jwks", "https://127.0.0.1/jwks", "https://[::1]/jwks", "https://u:p@example.com/jwks",
            "https://example.com/jwks#x", "ftp://example.com/jwks", "jwks.json", "https://example.com:70000/",
            "https://example.com/" + String(repeating: "a", count: 2000),
        ])
    func refusedURLs(url: String) {
        #expect(throws: FetchError.self) { try DocumentFetcher.Target(url, allowedHosts: ["localhost"]) }
    }

    @Test("a plain http URL is taken only for an allowed host")
    func plainHTTP() throws {
        #expect(throws: FetchError.self) {
            try DocumentFetcher.Target("http://127.0.0.1:8080/a", allowedHosts: ["localhost"])
        }
        let target = try DocumentFetcher.Target("http://127.0.0.1:8080/a/b?c=d", allowedHosts: ["127.0.0.1"])
        #expect(!target.secure && target.port == 8080 && target.pathAndQuery == "/a/b?c=d")
        #expect(target.hostHeader == "127.0.0.1:8080")
        let secure = try DocumentFetcher.Target("https://keys.example.com", allowedHosts: [])
        #expect(
            secure.secure && secure.port == 443 && secure.pathAndQuery == "/" && secure.hostHeader == "keys.example.com"
        )
    }
}
