import TesseraTesting
import Testing

@testable import TesseraCore

@Suite("Scope and validity_period rules")
struct TokenPolicyTests {
    let client = Fixtures.application(
        allowedScopes: ["default", "read", "write"], defaultScopes: ["default"],
        defaultTokenValidity: 3600, maxTokenValidity: 7200)

    @Test("no scope -> the application's default scopes")
    func defaultScopes() throws {
        #expect(try client.grantedScopes(requested: nil).tokens == ["default"])
    }

    @Test("allowed scopes are granted as requested")
    func narrower() throws {
        #expect(try client.grantedScopes(requested: "write read").tokens == ["read", "write"])
    }

    @Test("a scope the application lacks -> invalid_scope naming it")
    func refused() {
        do {
            _ = try client.grantedScopes(requested: "read admin")
            Issue.record("expected invalid_scope")
        } catch {
            #expect(error.code == .invalidScope)
            #expect(error.description.hasSuffix(": admin"))
        }
    }

    @Test("no validity_period -> the default validity")
    func defaultValidity() throws {
        #expect(try client.tokenLifetime(validityPeriod: nil) == 3600)
    }

    @Test("validity_period within bounds sets the lifetime", arguments: ["1", "600", "7200", "0600"])
    func validValidity(_ value: String) throws {
        #expect(try client.tokenLifetime(validityPeriod: value) == Int(value))
    }

    @Test(
        "bad validity_period -> invalid_request",
        arguments: ["0", "-1", "7201", "abc", "1.5", " 60", "+60", "99999999999999999999", "1e3"])
    func invalidValidity(_ value: String) {
        do {
            _ = try client.tokenLifetime(validityPeriod: value)
            Issue.record("expected invalid_request for \(value)")
        } catch {
            #expect(error.code == .invalidRequest)
        }
    }
}
