import HTTPTypes
import Hummingbird
import Logging
import NIOCore

extension HTTPFields {
    /// Headers on every token endpoint response, error or not (RFC 6749 §5.1, plus the usual hardening).
    static let oauthResponse: HTTPFields = [
        .contentType: "application/json;charset=UTF-8",
        .cacheControl: "no-store",
        HTTPField.Name("Pragma")!: "no-cache",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
    ]

    /// The same headers for a response without a body (revocation).
    static let oauthEmptyResponse: HTTPFields = {
        var fields = oauthResponse
        fields[.contentType] = nil
        return fields
    }()
}
