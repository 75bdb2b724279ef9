import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A minimal OAuth client over a real socket: what `curl -u key:secret -d ...` does.
struct TokenClient {
    let baseURL: String

    struct Answer {
        let status: Int
        let json: [String: Any]
        let headers: [AnyHashable: Any]
    }

    func post(_ path: String, form: String, key: String, secret: String) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: baseURL + path)))
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("Basic " + Data("\(key):\(secret)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.httpBody = Data(form.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return Answer(status: http.statusCode, json: json, headers: http.allHeaderFields)
    }

    /// Waits until the server answers at all (any status), up to `timeout`.
    func waitUntilServing(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await post("/token", form: "", key: "x", secret: "y")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the server did not start serving within \(timeout)")
    }
}
