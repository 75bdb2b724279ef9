import Testing

@testable import TesseraHTTP

@Suite("Trusted proxies and X-Forwarded-For")
struct TrustedProxiesTests {
    @Test("addresses and networks of both families parse; anything else is refused with its text")
    func parsing() throws {
        let proxies = try TrustedProxies(parsing: " 10.0.0.0/8, 192.168.1.7 ,::1, 2001:db8::/32,")
        #expect(proxies.networks.count == 4)
        #expect(proxies.isTrusted("10.200.3.4") && !proxies.isTrusted("11.0.0.1"))
        #expect(proxies.isTrusted("192.168.1.7") && !proxies.isTrusted("192.168.1.8"))
        #expect(proxies.isTrusted("::1") && proxies.isTrusted("2001:db8:ffff::1") && !proxies.isTrusted("2001:db9::1"))
        #expect(try TrustedProxies(parsing: "").networks.isEmpty)
        for bad in ["10.0.0.0/33", "proxy.example", "10.0.0.1/x", "::1/129"] {
            #expect(throws: TrustedProxiesError.self, "\(bad)") { try TrustedProxies(parsing: bad) }
        }
    }

    @Test("the client is the first address from the right that is not a trusted proxy; an untrusted peer is itself")
    func clientAddress() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        // The client wrote the leftmost entry itself; the proxies appended the rest.
        #expect(
            proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["1.2.3.4, 203.0.113.9", "10.0.0.6"])
                == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "198.51.100.1", forwardedFor: ["203.0.113.9"]) == "198.51.100.1")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["10.0.0.7"]) == "10.0.0.7")
        #expect(proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["junk, 10.0.0.7"]) == "10.0.0.7")
        #expect(TrustedProxies.none.clientAddress(peer: "10.0.0.5", forwardedFor: ["203.0.113.9"]) == "10.0.0.5")
        #expect(proxies.clientAddress(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }
}
