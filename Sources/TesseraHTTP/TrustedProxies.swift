#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The proxies (load balancers) in front of the server whose `X-Forwarded-For` is believed, so that a throttle
/// counts the client's address and not the proxy's: `--trusted-proxies "10.0.0.0/8, 192.168.1.7, ::1"`.
///
/// Only the entries a trusted proxy appended are believed: from the right of `X-Forwarded-For`, trusted hops are
/// skipped and the first other address is the client's. Anything to its left was written by the client and may be
/// made up. A request from an untrusted peer is the peer, whatever it sends.
public struct TrustedProxies: Sendable {
    struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefixLength
            for (own, other) in zip(bytes, address) where remaining > 0 {
                let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
                if own & mask != other & mask { return false }
                remaining -= 8
            }
            return true
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) {
        self.networks = networks
    }

    /// Comma-separated addresses and networks (`address/prefix`), IPv4 or IPv6; empty for none.
    public init(parsing list: String) throws(TrustedProxiesError) {
        var networks: [Network] = []
        for item in list.split(separator: ",") {
            let text = item.trimmingWhitespace()
            guard !text.isEmpty else { continue }
            let parts = text.split(separator: "/", maxSplits: 1)
            guard let bytes = Self.bytes(String(parts[0])) else {
                throw TrustedProxiesError("\"\(text)\" is not an IP address or network")
            }
            let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let length, (0...bytes.count * 8).contains(length) else {
                throw TrustedProxiesError("\"\(text)\" has a prefix length out of range")
            }
            networks.append(Network(bytes: bytes, prefixLength: length))
        }
        self.networks = networks
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For` values.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, !networks.isEmpty, isTrusted(peer), !forwardedFor.isEmpty else { return peer }
        var client = peer
        for hop in forwardedFor.joined(separator: ",").split(separator: ",").reversed() {
            let address = hop.trimmingWhitespace()
            // A hop that is not an address cannot be counted on; the last believed one stands.
            guard Self.bytes(address) != nil else { return client }
            client = address
            if !isTrusted(address) { return address }
        }
        return client
    }

    func isTrusted(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text; nil for anything else.
    static func bytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count <= 64 else { return nil }
        // A plain buffer rather than in_addr/in6_addr: which C module owns those structs varies between builds.
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &bytes) == 1 { return Array(bytes.prefix(4)) }
        if inet_pton(AF_INET6, text, &bytes) == 1 { return bytes }
        return nil
    }
}

/// A `--trusted-proxies` value that does not parse.
public struct TrustedProxiesError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
