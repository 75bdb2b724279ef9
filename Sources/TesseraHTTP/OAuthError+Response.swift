import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

extension OAuthError {
    /// The error as the client sees it: status, `{"error","error_description"}`, and the headers RFC 6749 asks for.
    /// `realm` names the tenant in `WWW-Authenticate` for `invalid_client` (RFC 6749 §5.2, RFC 7235).
    func response(realm: String?) -> Response {
        var headers = HTTPFields.oauthResponse
        if code == .invalidClient {
            headers[.wwwAuthenticate] = "Basic realm=\"\(realm.flatMap(Tenant.normalizedDomain) ?? "tessera")\""
        }
        if let retryAfter {
            headers[.retryAfter] = String(retryAfter)
        }
        let body = JSONObject()
            .adding("error", code.rawValue)
            .adding("error_description", description)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: body.buffer()))
    }
}
