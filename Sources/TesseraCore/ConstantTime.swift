/// Comparison of secrets in constant time: every byte is looked at whatever the first difference, so the time taken
/// tells nothing about how much of a guess was right.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes; a difference in length is answered at once (lengths are not secret).
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
