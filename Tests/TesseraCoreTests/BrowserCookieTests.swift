import TesseraCore
import TesseraPages
import Testing

/// The two cookies a browser may hold: the sign-in pages' (Lax, so a client's redirect arrives signed in) and the
/// console's (Strict); each is read only under its own name, so one never stands in for the other.
@Suite("Browser cookies")
struct BrowserCookieTests {
    @Test("names and attributes: __Host- and Secure on HTTPS, SameSite by use, HttpOnly, Path=/")
    func attributes() {
        let console = BrowserCookie.generate(use: .console)
        let secure = console.setCookie(secure: true)
        #expect(secure.hasPrefix("__Host-tessera-console=\(console.value); Path=/; HttpOnly; SameSite=Strict;"))
        #expect(secure.hasSuffix("; Secure") && !secure.contains("Domain"))
        #expect(console.setCookie(secure: false).hasPrefix("tessera-console="))
        #expect(!console.setCookie(secure: false).contains("Secure"))
        let signIn = BrowserCookie.generate()
        #expect(
            signIn.setCookie(secure: true).hasPrefix("__Host-tessera=\(signIn.value); Path=/; HttpOnly; SameSite=Lax;"))
        #expect(BrowserCookie.clear(secure: true, use: .console).contains("__Host-tessera-console=; Path=/"))
        #expect(BrowserCookie.clear(secure: false, use: .console).contains("Max-Age=0"))
    }

    @Test("each use reads its own cookie only; the CSRF token is tied to the value")
    func separateUses() {
        let signIn = BrowserCookie.generate()
        let console = BrowserCookie.generate(use: .console)
        let request = EndpointRequest(
            method: .get, tenantDomain: "acme.com", query: .init(),
            cookies: ["tessera": signIn.value, "tessera-console": console.value])
        #expect(BrowserCookie.from(request) == signIn)
        #expect(BrowserCookie.from(request, use: .console) == console)
        let onlySignIn = EndpointRequest(
            method: .get, tenantDomain: "acme.com", query: .init(), cookies: ["tessera": signIn.value])
        #expect(BrowserCookie.from(onlySignIn, use: .console) == nil)
        // Over HTTPS only the __Host- names count.
        let secure = EndpointRequest(
            method: .get, tenantDomain: "acme.com", query: .init(), cookies: ["tessera-console": console.value],
            isSecure: true)
        #expect(BrowserCookie.from(secure, use: .console) == nil)
        #expect(console.accepts(csrf: console.csrfToken) && !console.accepts(csrf: signIn.csrfToken))
        #expect(!console.accepts(csrf: nil))
    }
}
