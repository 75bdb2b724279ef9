import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

extension TokenResponse {
    /// 200 with `{"access_token","scope","token_type","expires_in"}` (RFC 6749 §5.1).
    func response() -> Response {
        var body = JSONObject()
            .adding("access_token", accessToken)
            .adding("scope", scope.description)
            .adding("token_type", tokenType)
            .adding("expires_in", expiresIn)
        for (name, value) in additionalFields.isEmpty ? [] : additionalFields.sorted(by: { $0.key < $1.key }) {
            body = body.adding(name, value)
        }
        return Response(status: .ok, headers: .oauthResponse, body: .init(byteBuffer: body.buffer()))
    }
}
