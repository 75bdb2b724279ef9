import Testing

@testable import TesseraCore

@Suite("Scope parsing (RFC 6749 §3.3)")
struct ScopeSetTests {
    @Test("space-delimited scopes are parsed, sorted and deduplicated")
    func parsesScopes() throws {
        let scopes = try ScopeSet(parsing: "write  read read")
        #expect(scopes.tokens == ["read", "write"])
        #expect(scopes.description == "read write")
    }

    @Test(
        "malformed scope -> invalid_scope",
        arguments: ["a\"b", "back\\slash", "tab\there", "ünicode", "", "   ", String(repeating: "x", count: 129)])
    func rejectsMalformed(_ value: String) {
        #expect(throws: OAuthError.self) { try ScopeSet(parsing: value) }
        do {
            _ = try ScopeSet(parsing: value)
        } catch {
            #expect(error.code == .invalidScope)
        }
    }

    @Test("every printable ASCII character but quote, backslash and space is allowed in a scope token")
    func allowedCharacters() throws {
        let printable = (0x21...0x7E).map { Character(Unicode.Scalar(UInt8($0))) }.filter { $0 != "\"" && $0 != "\\" }
        #expect(try ScopeSet(parsing: String(printable.prefix(64))).tokens.count == 1)
        #expect(try ScopeSet(parsing: String(printable.suffix(28))).tokens.count == 1)
    }
}
