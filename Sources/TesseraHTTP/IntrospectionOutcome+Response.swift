import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

extension IntrospectionEndpoint.Outcome {
    /// RFC 7662 §2.2: 200 with `{"active":false}` alone, or the active token's members.
    func response() -> Response {
        var body: JSONObject
        switch self {
        case .inactive:
            body = JSONObject().adding("active", false)
        case .active(let token, let issuer):
            var object = JSONObject()
                .adding("active", true)
                .adding("scope", token.scopes.description)
                .adding("client_id", token.consumerKey)
            if let username = token.username {
                object = object.adding("username", username)
            }
            body =
                object
                .adding("sub", token.subject)
                .adding("token_type", token.kind == .access ? "Bearer" : "refresh_token")
                .adding("exp", Int(token.expiresAt.timeIntervalSince1970.rounded(.down)))
                .adding("iat", Int(token.issuedAt.timeIntervalSince1970.rounded(.down)))
                .adding("iss", issuer)
            // RFC 7662 §2.2 `aud` as RFC 7519 writes it: one resource as a string, several as an array.
            if token.audience.count == 1 {
                body = body.adding("aud", token.audience[0])
            } else if token.audience.count > 1 {
                body = body.adding("aud", token.audience)
            }
        }
        return Response(status: .ok, headers: .oauthResponse, body: .init(byteBuffer: body.buffer()))
    }
}
