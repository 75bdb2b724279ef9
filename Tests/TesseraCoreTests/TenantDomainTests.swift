import Testing

@testable import TesseraCore

@Suite("Tenant domains")
struct TenantDomainTests {
    @Test(
        "valid domains are lower-cased",
        arguments: [
            ("acme.com", "acme.com"), ("ACME.Com", "acme.com"), ("a-b.c9", "a-b.c9"), ("localhost", "localhost"),
        ])
    func valid(_ raw: String, _ expected: String) {
        #expect(Tenant.normalizedDomain(raw) == expected)
    }

    @Test(
        "anything else is refused",
        arguments: [
            "", "acme..com", ".acme.com", "acme.com.", "-acme.com", "acme-.com", "ac me.com", "acme.com/x",
            "acme%2ecom",
            "äcme.com", String(repeating: "a", count: 64) + ".com", String(repeating: "a.", count: 127) + "com",
        ])
    func invalid(_ raw: String) {
        #expect(Tenant.normalizedDomain(raw) == nil)
    }
}
