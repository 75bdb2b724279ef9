import Testing

@testable import TesseraCore

@Suite("Application settings")
struct ApplicationSettingsTests {
    let supported: Set<GrantType> = ["client_credentials", "password"]

    @Test("defaults: client_credentials, scope default, 3600 s, at most 86400 s")
    func defaults() throws {
        let settings = try ApplicationSettings(name: "demo", supportedGrantTypes: supported)
        #expect(settings.grantTypes == ["client_credentials"])
        #expect(settings.allowedScopes.tokens == ["default"] && settings.defaultScopes.tokens == ["default"])
        #expect(settings.defaultTokenValidity == 3600 && settings.maxTokenValidity == 86400)
    }

    @Test(
        "refused settings name the problem",
        arguments: [
            ("", ["client_credentials"], "default", "default", 3600, 86400, "name"),
            ("x", [], "default", "default", 3600, 86400, "grant type"),
            ("x", ["implicit"], "default", "default", 3600, 86400, "unknown grant type implicit"),
            ("x", ["client_credentials"], "read", "default", 3600, 86400, "default scope default"),
            ("x", ["client_credentials"], "a\"b", "default", 3600, 86400, "scopes"),
            ("x", ["client_credentials"], "default", "default", 0, 86400, "token validity"),
            ("x", ["client_credentials"], "default", "default", 3600, 60, "max token validity"),
        ] as [(String, [String], String, String, Int, Int, String)])
    func refused(
        name: String, grants: [String], scopes: String, defaults: String, validity: Int, maxValidity: Int,
        message: String
    ) {
        do {
            _ = try ApplicationSettings(
                name: name, grantTypes: Set(grants.map(GrantType.init(rawValue:))), allowedScopes: scopes,
                defaultScopes: defaults, defaultTokenValidity: validity, maxTokenValidity: maxValidity,
                supportedGrantTypes: supported)
            Issue.record("expected a refusal mentioning \(message)")
        } catch {
            #expect(error.description.contains(message))
            #expect(!error.description.contains("\n"))
        }
    }
}
