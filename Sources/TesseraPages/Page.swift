import Crypto
import Foundation
import TesseraCore

/// A whole page in the house style: one stylesheet in the document (allowed by its hash, so the policy needs no
/// `'unsafe-inline'`), no script, readable without one, landmarks and a heading for screen readers.
public struct Page: Sendable {
    public let title: String
    public let content: HTML
    /// A header above the page's content (the console's navigation); nil for the small sign-in pages.
    public let header: HTML?
    /// Whether the page has copy buttons, which need the one script (`copyScript`), allowed by its hash.
    public let copyButtons: Bool

    public init(title: String, content: HTML, header: HTML? = nil, copyButtons: Bool = false) {
        self.title = title
        self.content = content
        self.header = header
        self.copyButtons = copyButtons
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
        \(header.map { "<header>\($0)</header>\n" as HTML } ?? "")<main\(header == nil ? "" : HTML(trusted: " class=\"wide\""))>
        <h1>\(title)</h1>
        \(content)
        </main>
        \(copyButtons ? HTML(trusted: "<script>\(Self.copyScript)</script>\n") : "")</body>
        </html>
        """
    }

    /// Shows each `<button data-copy="ID" hidden>` and makes it copy the value of the element `ID` (a read-only
    /// input). Without the script the buttons stay hidden and the value can still be selected.
    static let copyScript = """
        document.querySelectorAll("button[data-copy]").forEach(function(b){b.hidden=false;\
        b.addEventListener("click",function(){var f=document.getElementById(b.dataset.copy);f.select();\
        (navigator.clipboard?navigator.clipboard.writeText(f.value):Promise.reject()).then(function(){\
        b.textContent="Copied";},function(){document.execCommand("copy");b.textContent="Copied";});});});
        """

    /// The policy's source for the script: `'sha256-...'` of its exact text.
    static let copyScriptSource = "'sha256-\(Data(SHA256.hash(data: Data(copyScript.utf8))).base64EncodedString())'"

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
        .unverified{color:#a4161a;font-weight:600}ul{padding-left:1.2rem}code{word-break:break-all}\
        main.wide{max-width:64rem;margin-top:1rem}header{background:#1d2330;color:#fff;padding:.6rem 1rem}\
        header nav{max-width:64rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}\
        header a{color:#fff}header form{margin-left:auto}header button{margin:0;padding:.3rem .8rem;font-size:.9rem}\
        table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{text-align:left;padding:.35rem .5rem;\
        border-bottom:1px solid #d8dce5;vertical-align:top}dl{display:grid;grid-template-columns:max-content 1fr;\
        gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}.actions form{display:inline-block}\
        .secret{font-family:monospace;width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}\
        .notice{background:#e8f0fe;border-left:4px solid #1f4fd1;padding:.5rem 1rem}\
        details.chart-data-details{margin-bottom:1rem}.chart-legend{list-style:none;padding:0;display:flex;gap:1rem}\
        select,input[type=number],input[type=search]{padding:.45rem;font-size:1rem;border:1px solid #8a93a6;border-radius:4px}
        """

    /// The policy's source for the stylesheet: `'sha256-...'` of its exact text.
    static let stylesheetSource = "'sha256-\(Data(SHA256.hash(data: Data(stylesheet.utf8))).base64EncodedString())'"

    /// RFC 7034 and CSP 3: nothing loads but the stylesheet; no framing, no `<base>`, no plugins. Forms may post
    /// to the page's own origin and to `formTargets` (Chromium applies `form-action` to the redirect that follows
    /// a form's POST, so a consent form that redirects to the client names the client's redirect URI's origin).
    public static func contentSecurityPolicy(formTargets: [String] = [], copyButtons: Bool = false) -> String {
        let targets = (["'self'"] + formTargets).joined(separator: " ")
        let script = copyButtons ? "; script-src \(copyScriptSource)" : ""
        return
            "default-src 'none'; style-src \(stylesheetSource); img-src 'self'; form-action \(targets); frame-ancestors 'none'; base-uri 'none'\(script)"
    }

    /// The page as an answer: HTML, the policy, never cached.
    public func response(
        status: Int = 200, formTargets: [String] = [], headers: [(name: String, value: String)] = []
    ) -> EndpointResponse {
        EndpointResponse(
            status: status,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"),
                (
                    "Content-Security-Policy",
                    Self.contentSecurityPolicy(formTargets: formTargets, copyButtons: copyButtons)
                ),
                ("Cache-Control", "no-store"),
            ] + headers,
            body: html.text)
    }
}
