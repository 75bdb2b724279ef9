import Testing

@testable import TesseraCore

/// `hasControlCharacters` reads UTF-8 bytes instead of Unicode properties; it must agree with category Cc.
@Suite("Control characters")
struct ControlCharactersTests {
    @Test("agrees with Unicode category Cc for every scalar up to U+07FF and a few beyond, alone and in text")
    func agreesWithUnicode() {
        let scalars = (0...0x7FF).compactMap(Unicode.Scalar.init) + ["\u{2028}", "\u{FEFF}", "\u{1F600}", "é", "ß"]
        for scalar in scalars {
            let expected = scalar.properties.generalCategory == .control
            let text = String(scalar)
            #expect(text.hasControlCharacters == expected, "U+\(String(scalar.value, radix: 16))")
            #expect(("pBzu" + text + "IZhG").hasControlCharacters == expected, "U+\(String(scalar.value, radix: 16))")
        }
        #expect(!"Âé€ wörd/=?".hasControlCharacters)
        #expect("abc\u{0}def"[...].hasControlCharacters)
    }
}
