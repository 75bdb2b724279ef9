import NIOCore

/// Whether an address is on the public internet: the fetcher connects to nothing else (unless told to, for
/// development), so that a URL a client registered cannot reach the loopback interface, the private network the
/// server runs in, or a cloud's metadata service (169.254.169.254). Special-purpose ranges from the IANA registries
/// (RFC 6890 and its updates) are refused whole.
enum PublicAddress {
    static func isPublic(_ address: SocketAddress) -> Bool {
        // The address's bytes where every platform's sockaddr_in and sockaddr_in6 keep them (after two bytes of
        // family and two of port; IPv6 after four more of flow information).
        let (offset, count): (Int, Int)
        switch address.protocol {
        case .inet: (offset, count) = (4, 4)
        case .inet6: (offset, count) = (8, 16)
        default: return false
        }
        let bytes: [UInt8]? = address.withSockAddr { pointer, length in
            guard length >= offset + count else { return nil }
            let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: length)
            return Array(raw[offset..<(offset + count)])
        }
        guard let bytes else { return false }
        return count == 4 ? isPublic(v4: bytes) : isPublic(v6: bytes)
    }

    static func isPublic(v4 bytes: [UInt8]) -> Bool {
        guard bytes.count == 4 else { return false }
        let (a, b) = (bytes[0], bytes[1])
        switch a {
        case 0, 10, 127: return false  // "this network", private, loopback
        case 100 where (64...127).contains(b): return false  // shared address space (carrier-grade NAT)
        case 169 where b == 254: return false  // link local: cloud metadata services live here
        case 172 where (16...31).contains(b): return false
        case 192 where b == 168: return false
        // IETF protocol assignments, TEST-NET-1
        case 192 where b == 0 && (bytes[2] == 0 || bytes[2] == 2): return false
        case 198 where b == 18 || b == 19: return false  // benchmarking
        case 198 where b == 51 && bytes[2] == 100: return false  // TEST-NET-2
        case 203 where b == 0 && bytes[2] == 113: return false  // TEST-NET-3
        case 224...255: return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    static func isPublic(v6 bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return false }
        // IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses reach the IPv4 address they embed.
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        let nat64 = bytes[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
        if mapped || nat64 { return isPublic(v4: Array(bytes[12..<16])) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        switch bytes[0] {
        case 0xfc, 0xfd: return false  // unique local
        case 0xfe where bytes[1] & 0xc0 == 0x80: return false  // link local
        case 0xff: return false  // multicast
        default: break
        }
        if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0x0d, bytes[3] == 0xb8 { return false }  // documentation
        if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0, bytes[3] == 0 { return false }  // Teredo
        if bytes[0] == 0x20, bytes[1] == 0x02 { return false }  // 6to4: reaches an embedded IPv4 address
        if bytes[0] == 0x01, bytes[1] == 0, bytes[2..<8].allSatisfy({ $0 == 0 }) { return false }  // discard-only
        return true
    }
}
