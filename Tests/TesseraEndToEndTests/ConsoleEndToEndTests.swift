import Foundation
import Testing

/// The console (issue 17) over HTTP against the binary: who may sign in, the cookie, CSRF, the policy, sessions that
/// end, operations that go through the admin API (and its audit trail); then the whole flow in headless Chromium.
/// One test at a time: the browser test's bcrypt sign-ins need idle CPU.
@Suite("Console end to end", .serialized, .timeLimit(.minutes(6)))
struct ConsoleEndToEndTests {
    /// A browser as the tests play it: the console's cookie, and the CSRF token of the last page.
    struct Browser {
        let session: AdminSession
        let domain: String
        var cookie: String?
        var csrf: String?

        var base: String { "/t/\(domain)/console" }

        mutating func get(_ path: String) async throws -> TokenClient.Answer {
            let answer = try await session.client.request(
                "GET", base + path, headers: cookie.map { ["Cookie: tessera-console=\($0)"] } ?? [])
            remember(answer)
            return answer
        }

        /// A form POST; the page's CSRF token is added unless `csrf` is false.
        mutating func post(_ path: String, _ fields: [(String, String)], csrf: Bool = true) async throws
            -> TokenClient.Answer
        {
            var all = fields
            if csrf, let token = self.csrf { all.append(("csrf", token)) }
            let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            var headers = ["Content-Type: application/x-www-form-urlencoded"]
            if let cookie { headers.append("Cookie: tessera-console=\(cookie)") }
            let answer = try await session.client.request("POST", base + path, headers: headers, body: body)
            remember(answer)
            return answer
        }

        private mutating func remember(_ answer: TokenClient.Answer) {
            if let set = answer.headers["set-cookie"], set.hasPrefix("tessera-console=") {
                let value = set.dropFirst("tessera-console=".count).prefix { $0 != ";" }
                cookie = value.isEmpty ? nil : String(value)
            }
            if let token = Self.field("csrf", in: answer.text) { csrf = token }
        }

        /// The value of the first hidden field `name` in a page.
        static func field(_ name: String, in page: String) -> String? {
            guard let start = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(page[start.upperBound...].prefix { $0 != "\"" })
        }

        static func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }

        mutating func signIn(_ username: String, _ password: String) async throws -> TokenClient.Answer {
            if csrf == nil { _ = try await get("/") }
            return try await post("/", [("action", "sign_in"), ("username", username), ("password", password)])
        }
    }

    /// The server hashes at the users' cost (4): at its default (12) every sign-in would rehash the password on the
    /// idle-priority hashing threads, which a full parallel run leaves without CPU for minutes.
    static let serve = ["--password-cost", "4"]

    /// A tenant with an administrator (alice), a user without the role (bob), made by the CLI at bcrypt cost 4.
    static func tenant(_ session: AdminSession, _ name: String) async throws -> String {
        let domain = "\(name)-\(session.suffix).example"
        #expect(try await session.call("POST", "/admin/v1/tenants", #"{"domain":"\#(domain)"}"#).status == 201)
        for (user, roles) in [("alice", ["--role", "tenant-admin"]), ("bob", [])] {
            let made = try await TesseraBinary.run(
                ["user", "create", "--tenant", domain, "--username", user, "--password-stdin", "--password-cost", "4"]
                    + roles, databaseURL: session.database, input: "pw-\(user)-123")
            try #require(made.status == 0, "\(made.error)")
        }
        return domain
    }

    @Test(
        "sign-in: the cookie (HttpOnly, SameSite=Strict), the policy, CSRF, the role, the shared throttle, sessions that end"
    )
    func signIn() async throws {
        let session = try await AdminSession.start("console-sign-in", serve: Self.serve)
        defer { session.stop() }
        let domain = try await Self.tenant(session, "console")
        var browser = Browser(session: session, domain: domain)

        let first = try await browser.get("/")
        #expect(first.status == 200 && first.text.contains("Sign in to the console"), "\(first.text)")
        let setCookie = try #require(first.headers["set-cookie"])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        let policy = try #require(first.headers["content-security-policy"])
        #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"))
        #expect(!policy.contains("unsafe-inline") && !policy.contains("script-src"), "\(policy)")
        #expect(first.headers["cache-control"] == "no-store" && first.headers["x-frame-options"] == "DENY")
        let anchor = try #require(browser.cookie)

        // No CSRF token, no sign-in.
        let forged = try await browser.post(
            "/", [("action", "sign_in"), ("username", "alice"), ("password", "pw-alice-123")], csrf: false)
        #expect(forged.status == 403)
        // A user without the role gets no session.
        let bob = try await browser.signIn("bob", "pw-bob-123")
        #expect(bob.status == 403 && bob.text.contains("does not administer"), "\(bob.text)")
        #expect(browser.cookie == anchor)
        // The administrator: a new cookie value (the one planted before sign-in is worth nothing), then the overview.
        let alice = try await browser.signIn("alice", "pw-alice-123")
        #expect(alice.status == 303 && alice.headers["location"] == "/t/\(domain)/console/")
        #expect(browser.cookie != anchor && alice.headers["set-cookie"]?.contains("SameSite=Strict") == true)
        let overview = try await browser.get("/")
        #expect(overview.status == 200 && overview.text.contains("Tenant \(domain)"), "\(overview.text)")
        #expect(overview.text.contains("<svg") && overview.text.contains("class=\"chart-data\""))
        // Another tenant's console does not know this session.
        let other = try await session.client.request(
            "GET", "/t/system/console/", headers: ["Cookie: tessera-console=\(browser.cookie ?? "")"])
        #expect(other.text.contains("Sign in to the console"), "\(other.status)")

        // The role taken away (by the admin API) ends what the session may do at its next request.
        let roles = "/admin/v1/tenants/\(domain)/users/alice/roles"
        #expect(try await session.call("PUT", roles, #"{"roles":[]}"#).status == 200)
        let demoted = try await browser.get("/applications")
        #expect(demoted.status == 403 && demoted.text.contains("no longer administers"), "\(demoted.text)")
        let restored = try await session.call("PUT", roles, #"{"roles":["tenant-admin"]}"#)
        #expect(restored.status == 200 && restored.json["roles"] as? [String] == ["tenant-admin"], "\(restored.text)")
        #expect(try await session.call("PUT", roles, #"{"roles":["root"]}"#).status == 400)
        #expect(try await browser.get("/applications").status == 200)

        // Sign-out ends the session in the database: the old cookie shows the sign-in form again.
        let signedIn = browser.cookie
        let out = try await browser.post("/sign-out", [])
        #expect(out.status == 303 && out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        browser.cookie = signedIn
        #expect(try await browser.get("/applications").text.contains("Sign in to the console"))

        // Five wrong passwords in a row, then the sign-in throttle answers, for the console and the password grant.
        browser.cookie = nil
        browser.csrf = nil
        for _ in 0..<5 { #expect(try await browser.signIn("alice", "wrong").status == 401) }
        let throttled = try await browser.signIn("alice", "pw-alice-123")
        #expect(throttled.status == 429 && throttled.text.contains("Too many failed sign-ins"), "\(throttled.text)")

        // The CLI gives and refuses roles by name.
        let unknown = try await TesseraBinary.run(
            ["user", "set-roles", "--tenant", domain, "--username", "bob", "--roles", "superuser"],
            databaseURL: session.database)
        #expect(unknown.status == 1 && unknown.error.contains("unknown role; the roles are: tenant-admin"))
        let promoted = try await TesseraBinary.run(
            ["user", "set-roles", "--tenant", domain, "--username", "bob", "--roles", "tenant-admin"],
            databaseURL: session.database)
        #expect(promoted.status == 0 && promoted.output.contains("roles of bob: tenant-admin"), "\(promoted.error)")
        var bobsBrowser = Browser(session: session, domain: domain)
        #expect(try await bobsBrowser.signIn("bob", "pw-bob-123").status == 303)

        // The system tenant is the CLI's and admin clients': no console sign-in there, whatever the role.
        let made = try await TesseraBinary.run(
            [
                "user", "create", "--tenant", "system", "--username", "root-\(session.suffix)",
                "--role", "tenant-admin", "--password-stdin", "--password-cost", "4",
            ], databaseURL: session.database, input: "pw-root-123")
        #expect(made.status == 0, "\(made.error)")
        var system = Browser(session: session, domain: "system")
        let refused = try await system.signIn("root-\(session.suffix)", "pw-root-123")
        #expect(refused.status == 403 && refused.text.contains("system tenant"), "\(refused.text)")
        // /console/ asks for a tenant on a server without a default one, and leads to the one named.
        let choose = try await session.client.request("GET", "/console")
        #expect(choose.status == 200 && choose.text.contains("Go to its console"), "\(choose.text)")
        let led = try await session.client.request("GET", "/console/?tenant=\(domain.uppercased())")
        #expect(led.status == 303 && led.headers["location"] == "/t/\(domain)/console/")
        #expect(try await session.client.request("GET", "/console/?tenant=not%20a%20domain").status == 404)
    }

    @Test("operations go through the admin API: CSRF-checked, audited as the console's user; the secret shown once")
    func operations() async throws {
        let session = try await AdminSession.start("console-operations", serve: Self.serve)
        defer { session.stop() }
        let domain = try await Self.tenant(session, "console-ops")
        var browser = Browser(session: session, domain: domain)
        #expect(try await browser.signIn("alice", "pw-alice-123").status == 303)
        _ = try await browser.get("/applications/new")

        // A forged form changes nothing.
        let forged = try await browser.post("/applications/new", [("name", "forged")], csrf: false)
        #expect(forged.status == 403)
        let listed = try await session.call("GET", "/admin/v1/tenants/\(domain)/applications")
        #expect((listed.json["applications"] as? [Any])?.isEmpty == true, "\(listed.text)")
        // A refusal by the API shows the form again with its reason.
        let refused = try await browser.post(
            "/applications/new", [("name", "bad"), ("grant_type", "client_credentials"), ("token_validity", "0")])
        #expect(refused.status == 400 && refused.text.contains("form-error"), "\(refused.text)")

        let created = try await browser.post(
            "/applications/new",
            [("name", "billing <b>"), ("grant_type", "client_credentials"), ("scopes", "read write")])
        #expect(created.status == 200, "\(created.text)")
        #expect(created.text.contains("billing &lt;b&gt;") && !created.text.contains("billing <b>"))
        let key = try #require(Self.input("consumer-key", in: created.text))
        let secret = try #require(Self.input("consumer-secret", in: created.text))
        let policy = created.headers["content-security-policy"] ?? ""
        #expect(policy.contains("script-src 'sha256-") && !policy.contains("unsafe"), "\(policy)")
        // The secret works, and is never shown again.
        let token = try await session.client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials&scope=read", key: key, secret: secret)
        #expect(token.status == 200, "\(token.text)")
        let page = try await browser.get("/applications/\(key)")
        #expect(page.status == 200 && page.text.contains(key) && !page.text.contains(secret))
        // The charts cover 30 days unless another offered span is asked for.
        #expect(page.text.contains("Usage, last 30 days") && page.text.contains("?days=7\">7 days</a>"))
        let week = try await browser.get("/applications/\(key)?days=7").text
        #expect(week.contains("Usage, last 7 days") && week.components(separatedBy: "<th scope=\"row\">").count == 15)
        #expect(try await browser.get("/applications/\(key)?days=5000").text.contains("Usage, last 30 days"))

        // A password-grant application: a user's first token registers the user, and its chart says so, as the
        // analysts' view does.
        let mobile = try await browser.post(
            "/applications/new", [("name", "mobile"), ("grant_type", "password"), ("scopes", "read")])
        let mobileKey = try #require(Self.input("consumer-key", in: mobile.text))
        let mobileSecret = try #require(Self.input("consumer-secret", in: mobile.text))
        let signedIn = try await session.client.post(
            "/t/\(domain)/token", form: "grant_type=password&username=bob&password=pw-bob-123", key: mobileKey,
            secret: mobileSecret)
        #expect(signedIn.status == 200, "\(signedIn.text)")
        let mobilePage = try await browser.get("/applications/\(mobileKey)").text
        let registeredChart = try #require(mobilePage.range(of: "id=\"chart-registered-users\"")).upperBound
        let lastRow = try #require(mobilePage[registeredChart...].range(of: "</tbody>", options: []))
        let today = mobilePage[registeredChart..<lastRow.lowerBound].components(separatedBy: "<tr>").last ?? ""
        let viewed = try await TesseraBinary.psql(
            "SELECT registered_users FROM registered_users_per_application WHERE consumer_key = '\(mobileKey)'",
            databaseURL: session.database)
        #expect(viewed == "1\n" && today.contains("<td>1</td>"), "\(viewed) \(today)")

        // Search and paging.
        #expect(try await browser.get("/applications?search=BILL").text.contains(key))
        #expect(!(try await browser.get("/applications?search=nothing%25").text.contains(key)))

        // The same numbers and search over HTTP, for other clients of the admin API.
        let daily = try await session.call(
            "GET", "/admin/v1/tenants/\(domain)/statistics/daily?consumer_key=\(key)&days=7")
        let days = try #require(daily.json["days"] as? [[String: Any]], "\(daily.text)")
        #expect(days.count == 7 && days.allSatisfy { $0["issued"] is Int && $0["registered_users"] is Int })
        #expect(try await session.call("GET", "/admin/v1/tenants/\(domain)/statistics/daily?days=0").status == 400)
        let unknownKey = "/admin/v1/tenants/\(domain)/statistics/daily?consumer_key=noSuchKeyNoSuchKeyNoSuchKey0"
        #expect(try await session.call("GET", unknownKey).status == 404)
        let searched = try await session.call("GET", "/admin/v1/tenants/\(domain)/applications?search=BILLING%20%3C")
        #expect((searched.json["applications"] as? [[String: Any]])?.map { $0["consumer_key"] as? String } == [key])

        // Rotation with a grace period: the old secret keeps working until then.
        let rotated = try await browser.post("/applications/\(key)/rotate-secret", [("grace_seconds", "3600")])
        let newSecret = try #require(Self.input("consumer-secret", in: rotated.text), "\(rotated.text)")
        #expect(newSecret != secret && rotated.text.contains("previous secret works until"))
        for usable in [secret, newSecret] {
            let answer = try await session.client.post(
                "/t/\(domain)/token", form: "grant_type=client_credentials", key: key, secret: usable)
            #expect(answer.status == 200)
        }
        // Revoking its tokens, then disabling it.
        let revoked = try await browser.post("/applications/\(key)/revoke-tokens", [])
        #expect(revoked.status == 303 && revoked.headers["location"]?.hasSuffix("?done=revoked") == true)
        #expect(try await browser.get("/applications/\(key)?done=revoked").text.contains("was revoked"))
        #expect(try await browser.post("/applications/\(key)/disable", []).status == 303)
        let disabled = try await session.client.post(
            "/t/\(domain)/token", form: "grant_type=client_credentials", key: key, secret: newSecret)
        #expect(disabled.status == 401)

        // Users: created with the role, disabled.
        _ = try await browser.get("/users")
        let carol = try await browser.post(
            "/users", [("username", "carol"), ("password", "pw-carol-123"), ("tenant_admin", "on")])
        #expect(carol.status == 303, "\(carol.text)")
        let shown = try await browser.get("/users/carol")
        #expect(shown.text.contains("tenant-admin"), "\(shown.text)")
        #expect(try await browser.post("/users/carol/disable", []).status == 303)
        let user = try await session.call("GET", "/admin/v1/tenants/\(domain)/users/carol")
        #expect(user.json["enabled"] as? Bool == false && user.json["roles"] as? [String] == ["tenant-admin"])
        // A consent as the authorization endpoint records it, shown on the user's page and revoked there.
        _ = try await TesseraBinary.psql(
            """
            INSERT INTO consents (tenant_id, user_id, application_id, scopes, resources)
            SELECT a.tenant_id, u.user_id, a.application_id, '{read}', '{}' FROM applications a
            JOIN users u ON u.tenant_id = a.tenant_id WHERE a.consumer_key = '\(mobileKey)' AND u.username = 'bob'
            """, databaseURL: session.database)
        let bobsPage = try await browser.get("/users/bob")
        #expect(bobsPage.text.contains("<td>mobile</td><td>read</td>"), "\(bobsPage.text)")
        let revokedConsent = try await browser.post("/users/bob/consents/revoke", [("client_id", mobileKey)])
        #expect(revokedConsent.status == 303 && revokedConsent.headers["location"]?.hasSuffix("done=consent") == true)
        let consents = try await session.call("GET", "/admin/v1/tenants/\(domain)/users/bob/consents")
        #expect((consents.json["consents"] as? [Any])?.isEmpty == true, "\(consents.text)")
        #expect(try await browser.post("/users/bob/consents/revoke", [("client_id", mobileKey)]).status == 404)

        // An administrator can neither take away their own role nor disable themselves.
        #expect(try await browser.post("/users/alice/roles", []).status == 400)
        #expect(try await browser.post("/users/ALICE/disable", []).status == 400)

        // Every operation is in the audit trail as the console's user, and the page shows it.
        let audit = try await browser.get("/audit")
        for operation in ["app.create", "app.rotate-secret", "token.revoke", "app.disable", "user.create"] {
            #expect(audit.text.contains(operation), "\(operation)")
        }
        #expect(audit.text.contains("\(domain)/console:alice"))
        #expect(!audit.text.contains(secret) && !audit.text.contains(newSecret))
        let log = (try? String(contentsOf: session.log, encoding: .utf8)) ?? ""
        #expect(!log.contains(secret) && !log.contains(newSecret) && !log.contains("pw-alice-123"))
    }

    /// The value of the read-only input `id` of a page.
    static func input(_ id: String, in page: String) -> String? {
        guard let start = page.range(of: "id=\"\(id)\"") else { return nil }
        let rest = page[start.upperBound...]
        guard let value = rest.range(of: "value=\"") else { return nil }
        return String(rest[value.upperBound...].prefix { $0 != "\"" })
    }
}

extension ConsoleEndToEndTests {
    @Test(
        "in headless Chromium: sign in, create an application, read its secret once, curl tokens, see the chart count them as the SQL view does, sign out"
    )
    func browser() async throws {
        let session = try await AdminSession.start("console-browser", serve: Self.serve)
        defer { session.stop() }
        let domain = try await Self.tenant(session, "console-browser")
        // The screenshots stay with the run's other files (deploy/test.sh keeps them after a failure).
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-console-\(session.suffix)")
        let printed = try await PythonScript.run(
            "console.py", ["http://localhost:\(session.client.port)", domain, "alice", "pw-alice-123", output.path],
            folder: "browser")
        let result = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        #expect(result["sign_in_title"] as? String == "Sign in to the console · Tessera", "\(result)")
        #expect(result["labelled"] as? Bool == true)
        #expect(result["overview_title"] as? String == "Tenant \(domain) · Tessera")
        #expect(result["keys_title"] as? String == "Keys of console app · Tessera")
        #expect(
            result["copy_button_shown"] as? Bool == true && result["copy_button_after_click"] as? String == "Copied")
        #expect(result["curl_statuses"] as? [Int] == [200, 200, 200, 401])
        #expect(result["secret_shown_again"] as? Bool == false)
        #expect(result["chart_drawn"] as? Bool == true)
        let errors = result["console_errors"] as? [String] ?? []
        #expect(!errors.contains { $0.contains("Content Security Policy") || $0.contains("Refused") }, "\(errors)")
        #expect(result["after_sign_out_title"] as? String == "Sign in to the console · Tessera")
        #expect((result["screenshots"] as? [String])?.count == 5, "\(result)")

        // The chart's numbers are the analysts' view's, day by day.
        let key = try #require(result["consumer_key"] as? String)
        let chart = try #require(result["token_chart"] as? [[Any]])
        #expect(chart.count == 30)
        let today = try #require(chart.last)
        #expect(today.count == 3 && today[1] as? Int == 3 && today[2] as? Int == 1, "\(chart)")
        let view = try await TesseraBinary.psql(
            """
            SELECT to_char(day, 'YYYY-MM-DD') || ' ' || issued || ' ' || failed FROM token_days_per_application
            WHERE consumer_key = '\(key)' ORDER BY day
            """, databaseURL: session.database)
        let drawn = chart.filter { ($0[1] as? Int ?? 0) + ($0[2] as? Int ?? 0) > 0 }
            .map { "\($0[0]) \($0[1]) \($0[2])" }
        #expect(view.split(separator: "\n").map(String.init) == drawn, "\(view)")
        let registered = try #require(result["registered_chart"] as? [[Any]])
        #expect(
            registered.count == 30 && registered.allSatisfy { $0[1] as? Int == 0 },
            "client credentials register no user")
    }
}

extension ConsoleEndToEndTests {
    @Test("no request to the console, however malformed, gets a 5xx or an internal message")
    func malformedRequests() async throws {
        let session = try await AdminSession.start("console-malformed", serve: Self.serve)
        defer { session.stop() }
        let domain = try await Self.tenant(session, "console-malformed")
        var browser = Browser(session: session, domain: domain)
        #expect(try await browser.signIn("alice", "pw-alice-123").status == 303)
        _ = try await browser.get("/")
        let hostile = [
            "%00", "%ff", "%2e%2e", String(repeating: "a", count: 3000), "%zz", "'%20OR%201=1", "%3Cscript%3E",
        ]
        let paths = [
            "/", "/applications", "/applications/new", "/applications/X", "/applications/X/disable",
            "/applications/X/rotate-secret", "/users", "/users/X", "/users/X/roles", "/users/X/consents/revoke",
            "/audit", "/a/b/c/d/e",
        ]
        var statuses: [Int: Int] = [:]
        for path in paths {
            for value in hostile {
                let target =
                    path.replacingOccurrences(of: "X", with: value) + "?days=\(value)&search=\(value)&after=\(value)"
                let fields = [
                    "name", "grant_type", "token_validity", "grace_seconds", "username", "password", "client_id",
                    "scopes", "resources", "redirect_uris", "token_format",
                ].map { ($0, value.removingPercentEncoding ?? value) }
                for answer in [try await browser.get(target), try await browser.post(target, fields)] {
                    statuses[answer.status, default: 0] += 1
                    #expect(answer.status < 500, "\(path) \(value.prefix(20)): \(answer.text.prefix(300))")
                    #expect(!answer.text.contains("PSQLError") && !answer.text.contains("Swift"))
                }
            }
        }
        // Both kinds of answer happened: pages refused, and pages served.
        #expect(statuses[200, default: 0] > 0 && statuses[404, default: 0] > 0, "\(statuses)")
    }
}
