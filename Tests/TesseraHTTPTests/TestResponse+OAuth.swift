import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

extension TestResponse {
    /// The body as a JSON object; nil when it is not one.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
    }

    /// The `error` member of an error body.
    var error: String? { json?["error"] as? String }
    var errorDescription: String? { json?["error_description"] as? String }

    subscript(header name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }
}

/// What every token endpoint response carries, success or error (RFC 6749 §5.1, plus hardening): no caching,
/// no framing, no sniffing, and a JSON body.
func expectOAuthHeaders(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response[header: "Cache-Control"] == "no-store", sourceLocation: sourceLocation)
    #expect(response[header: "Pragma"] == "no-cache", sourceLocation: sourceLocation)
    #expect(response[header: "X-Frame-Options"] == "DENY", sourceLocation: sourceLocation)
    #expect(response[header: "X-Content-Type-Options"] == "nosniff", sourceLocation: sourceLocation)
    let contentType = response[header: "Content-Type"]?.lowercased() ?? ""
    #expect(contentType.hasPrefix("application/json"), "Content-Type: \(contentType)", sourceLocation: sourceLocation)
    #expect(response.json != nil, "body: \(String(buffer: response.body))", sourceLocation: sourceLocation)
}

/// An error response (RFC 6749 §5.2): this status, exactly `{"error","error_description"}` with this code,
/// and the headers of every response.
func expectOAuthError(
    _ response: TestResponse, status: HTTPResponse.Status, error: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let body = String(buffer: response.body)
    #expect(response.status == status, "body: \(body)", sourceLocation: sourceLocation)
    #expect(response.error == error, "body: \(body)", sourceLocation: sourceLocation)
    #expect(
        response.json.map { Set($0.keys) } == ["error", "error_description"], "body: \(body)",
        sourceLocation: sourceLocation)
    #expect(response.errorDescription?.isEmpty == false, sourceLocation: sourceLocation)
    expectOAuthHeaders(response, sourceLocation: sourceLocation)
}

/// A client authentication failure: 401 `invalid_client`, challenging for HTTP Basic in the tenant's realm.
func expectInvalidClient(
    _ response: TestResponse, realm: String = "acme.com", sourceLocation: SourceLocation = #_sourceLocation
) {
    expectOAuthError(response, status: .unauthorized, error: "invalid_client", sourceLocation: sourceLocation)
    #expect(response[header: "WWW-Authenticate"] == "Basic realm=\"\(realm)\"", sourceLocation: sourceLocation)
}

/// A successful token response (RFC 6749 §5.1).
func expectToken(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == .ok, "body: \(String(buffer: response.body))", sourceLocation: sourceLocation)
    expectOAuthHeaders(response, sourceLocation: sourceLocation)
}
