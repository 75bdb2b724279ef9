import Crypto
import Foundation
import TesseraCore

/// A whole page in the house style: one stylesheet in the document (allowed by its hash, so the policy needs no
/// `'unsafe-inline'`), no script, readable without one, landmarks and a heading for screen readers.
public struct Page: Sendable {
    public let title: String
    public let content: HTML

    public init(title: String, content: HTML) {
        self.title = title
        self.content = content
    }

    public var html: HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(title) · Tessera</title>
        <style>\(HTML(trusted: Self.stylesheet))</style>
        </head>
        <body>
        <main>
        <h1>\(title)</h1>
        \(content)
        </main>
        </body>
        </html>
        """
    }

    static let stylesheet = """
        body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;line-height:1.5}\
        main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;\
        box-shadow:0 1px 3px rgba(0,0,0,.12)}\
        h1{font-size:1.4rem;margin-top:0}h2{font-size:1.1rem;margin-bottom:.25rem}label{display:block;margin-top:1rem;font-weight:600}\
        input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;\
        border:1px solid #8a93a6;border-radius:4px}\
        button{margin-top:1.25rem;margin-right:.5rem;padding:.55rem 1.2rem;font-size:1rem;border-radius:4px;\
        border:1px solid #1f4fd1;background:#1f4fd1;color:#fff;cursor:pointer}\
        button.secondary{background:#fff;color:#1f4fd1}\
        button:focus-visible,input:focus-visible{outline:3px solid #f0a020;outline-offset:2px}\
        .error{color:#a4161a;font-weight:600}.note{color:#555;font-size:.9rem}\
        .unverified{color:#a4161a;font-weight:600}ul{padding-left:1.2rem}code{word-break:break-all}
        """

    /// The policy's source for the stylesheet: `'sha256-...'` of its exact text.
    static let stylesheetSource = "'sha256-\(Data(SHA256.hash(data: Data(stylesheet.utf8))).base64EncodedString())'"

    /// RFC 7034 and CSP 3: nothing loads but the stylesheet; no framing, no `<base>`, no plugins. Forms may post
    /// to the page's own origin and to `formTargets` (Chromium applies `form-action` to the redirect that follows
    /// a form's POST, so a consent form that redirects to the client names the client's redirect URI's origin).
    public static func contentSecurityPolicy(formTargets: [String] = []) -> String {
        let targets = (["'self'"] + formTargets).joined(separator: " ")
        return
            "default-src 'none'; style-src \(stylesheetSource); img-src 'self'; form-action \(targets); frame-ancestors 'none'; base-uri 'none'"
    }

    /// The page as an answer: HTML, the policy, never cached.
    public func response(
        status: Int = 200, formTargets: [String] = [], headers: [(name: String, value: String)] = []
    ) -> EndpointResponse {
        EndpointResponse(
            status: status,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Security-Policy", Self.contentSecurityPolicy(formTargets: formTargets)),
                ("Cache-Control", "no-store"),
            ] + headers,
            body: html.text)
    }
}
