import Foundation
import TesseraTesting
import Testing

@testable import TesseraCore

/// RFC 8707 resource indicators (issue 13): what a request may name, and what a token is for.
@Suite("Resource indicators")
struct ResourceIndicatorTests {
    let client = Fixtures.application(resources: ["https://api.example.com", "https://mcp.example.com/tools"])

    func refusal(_ requested: [String]) -> OAuthError? {
        do {
            _ = try client.grantedAudience(requested: requested)
            return nil
        } catch {
            return error
        }
    }

    @Test("no resource: every resource of the application; a requested one: that one, repeats once, in order")
    func granted() throws {
        #expect(
            try client.grantedAudience(requested: []) == ["https://api.example.com", "https://mcp.example.com/tools"])
        #expect(
            try client.grantedAudience(requested: ["https://mcp.example.com/tools"]) == [
                "https://mcp.example.com/tools"
            ])
        #expect(
            try client.grantedAudience(requested: [
                "https://mcp.example.com/tools", "https://api.example.com", "https://mcp.example.com/tools",
            ]) == ["https://mcp.example.com/tools", "https://api.example.com"])
        #expect(try Fixtures.application().grantedAudience(requested: []) == [])
    }

    @Test(
        "unknown, relative, fragment, spaces, no scheme, too long, too many: invalid_target",
        arguments: [
            ["https://other.example.com"], ["/api"], ["api.example.com"], ["https://api.example.com#frag"],
            ["https://api.example.com/a b"], [":no-scheme"], ["1http://x"], ["https:"],
            ["https://api.example.com/" + String(repeating: "a", count: 2048)],
            Array(repeating: "https://api.example.com", count: 17),
        ])
    func refused(_ requested: [String]) {
        #expect(refusal(requested)?.code == .invalidTarget, "\(requested.first?.prefix(40) ?? "")")
    }

    @Test("resource URIs: absolute, any scheme, no fragment")
    func indicators() {
        #expect(ClientApplication.isResourceIndicator("https://api.example.com"))
        #expect(ClientApplication.isResourceIndicator("urn:example:api"))
        #expect(ClientApplication.isResourceIndicator("https://api.example.com/v1?x=1"))
        #expect(!ClientApplication.isResourceIndicator("https://api.example.com/#"))
        #expect(!ClientApplication.isResourceIndicator(""))
        #expect(!ClientApplication.isResourceIndicator("https://api.example.com/\u{e9}"))
    }

    @Test("operators' --resources: checked, repeats once, empty means none")
    func settings() throws {
        let tokens = try TokenAudience(
            format: .jwt, resources: ["https://a.example", "https://b.example", "https://a.example"])
        #expect(tokens.resources == ["https://a.example", "https://b.example"])
        #expect(try TokenAudience(format: .opaque, resources: []).resources == [])
        #expect(throws: ApplicationSettingsError.self) { try TokenAudience(format: .jwt, resources: ["api.example"]) }
    }

    @Test("a JWT access token is found by the hash of its text, in the partition of its exp day")
    func jwtReference() throws {
        func jwt(_ claims: String) -> String {
            [#"{"alg":"ES256","typ":"at+jwt"}"#, claims, "signature"].map { Base64URL.encode(Array($0.utf8)) }
                .joined(separator: ".")
        }
        let token = jwt("{\"exp\":1800000000,\"sub\":\"x\",\"aud\":\"https://api.example.com\",\"iss\":\"https://a\"}")
        let reference = try #require(TokenReference(token))
        #expect(reference.kind == .access)
        #expect(reference.expiryDay == 1_800_000_000 / 86_400)
        #expect(reference.hash == TokenHash(of: token))
        #expect(TokenReference(jwt("{\"sub\":\"no exp, padding to get past sixty-four bytes\"}")) == nil)
        #expect(TokenReference(jwt("{\"exp\":\"1800000000\",\"sub\":\"a string exp, long enough to count\"}")) == nil)
        #expect(TokenReference(token + "." + token) == nil)
        #expect(TokenReference(String(repeating: "eyJ", count: 2000)) == nil)
    }
}
