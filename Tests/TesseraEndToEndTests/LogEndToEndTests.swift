import Foundation
import Testing

/// `serve --log-format json` through the binary: every line of the log is a JSON object, each request has its
/// line with status and latency, and nothing secret is ever written.
@Suite("JSON access log, end to end")
struct LogEndToEndTests {
    struct Created: Decodable {
        let consumer_key: String
        let consumer_secret: String
    }

    @Test("one JSON line per request with status and latency; no secret, token, password or query string")
    func jsonAccessLog() async throws {
        let database = try await TesseraBinary.migratedDatabaseURL()
        let domain = "log-\(UInt32.random(in: 0...UInt32.max)).test"
        #expect(try await TesseraBinary.run(["tenant", "create", domain], databaseURL: database).status == 0)
        let password = "log horse \(UInt32.random(in: 0...UInt32.max))"
        let user = try await TesseraBinary.run(
            ["user", "create", "--tenant", domain, "--username", "carol", "--password-stdin", "--password-cost", "4"],
            databaseURL: database, input: password)
        try #require(user.status == 0, "user create: \(user.error)")
        let created = try await TesseraBinary.run(
            [
                "app", "create", "--tenant", domain, "--name", "logged", "--grant-types",
                "client_credentials,password", "--json",
            ], databaseURL: database)
        try #require(created.status == 0, "app create: \(created.error)")
        let app = try JSONDecoder().decode(Created.self, from: Data(created.output.utf8))
        let (key, secret) = (app.consumer_key, app.consumer_secret)

        let port = try TesseraBinary.freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-log-\(port).log")
        let server = try TesseraBinary.serve(
            [
                "--port", "\(port)", "--log-format", "json", "--log-level", "debug", "--password-cost", "4",
            ], databaseURL: database, log: log)
        defer { if server.isRunning { server.terminate() } }
        let client = TokenClient(port: port)
        try await client.waitUntilServing()

        let tokenPath = "/t/\(domain)/token"
        let queryMarker = "query\(UInt32.random(in: 0...UInt32.max))"
        let issued = try await client.post(
            "\(tokenPath)?trace=\(queryMarker)", form: "grant_type=client_credentials", key: key, secret: secret)
        #expect(issued.status == 200)
        let token = try #require(issued.json["access_token"] as? String)
        let refused = try await client.post(tokenPath, form: "grant_type=client_credentials", key: key, secret: "nope")
        #expect(refused.status == 401)
        let introspected = try await client.post(
            "/t/\(domain)/introspect", form: "token=\(token)", key: key, secret: secret)
        #expect(introspected.json["active"] as? Bool == true)
        let encodedPassword = password.replacingOccurrences(of: " ", with: "%20")
        let signedIn = try await client.post(
            tokenPath, form: "grant_type=password&username=carol&password=\(encodedPassword)", key: key,
            secret: secret)
        #expect(signedIn.status == 200)
        let userToken = try #require(signedIn.json["access_token"] as? String)
        let unknownGrant = try await client.post(
            tokenPath, form: "grant_type=urn:made-up:\(queryMarker)", key: key, secret: secret)
        #expect(unknownGrant.status == 400)

        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)

        let text = try String(contentsOf: log, encoding: .utf8)
        var requests: [[String: Any]] = []
        var messages: [String] = []
        for line in text.split(separator: "\n") {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let object else {
                Issue.record("a log line that is not a JSON object: \(line)")
                continue
            }
            #expect(object["timestamp"] is String && object["level"] is String && object["message"] is String)
            if object["message"] as? String == "request" { requests.append(object) }
            if let message = object["message"] as? String { messages.append(message) }
        }
        // The start-up check of EventLoopExecutor in the real binary: tasks keep their loop across async calls.
        #expect(messages.contains("tasks run on the event loops"), "\(messages)")
        for request in requests {
            #expect((request["hb.request.id"] as? String)?.isEmpty == false)
            #expect(request["method"] is String && request["path"] is String)
            #expect(request["status"] is Int, "\(request)")
            #expect((request["latency_ms"] as? Double).map { $0 >= 0 } == true, "\(request)")
        }
        func line(_ path: String, _ status: Int, grantType: String? = nil) -> [String: Any]? {
            requests.first {
                $0["path"] as? String == path && $0["status"] as? Int == status
                    && (grantType == nil || $0["grant_type"] as? String == grantType)
            }
        }
        let issuedLine = try #require(line(tokenPath, 200, grantType: "client_credentials"), "\(requests)")
        #expect(issuedLine["tenant"] as? String == domain)
        #expect(issuedLine["endpoint"] as? String == "token")
        #expect(issuedLine["method"] as? String == "POST")
        let refusedLine = try #require(line(tokenPath, 401), "\(requests)")
        #expect(refusedLine["error"] as? String == "invalid_client")
        #expect(refusedLine["grant_type"] as? String == "client_credentials")
        let introspectLine = try #require(line("/t/\(domain)/introspect", 200), "\(requests)")
        #expect(introspectLine["endpoint"] as? String == "introspect")
        #expect(line(tokenPath, 200, grantType: "password") != nil)
        #expect(line(tokenPath, 400, grantType: "other")?["error"] as? String == "unsupported_grant_type")

        let authorization = Data("\(key):\(secret)".utf8).base64EncodedString()
        for secretValue in [secret, token, userToken, password, encodedPassword, authorization, queryMarker] {
            #expect(!text.contains(secretValue), "the log contains \(secretValue.prefix(8))…")
        }
    }
}
