import HTTPTypes
import HummingbirdTesting
import NIOCore

/// Where the tests send token requests.
enum Paths {
    static let acme = "/t/acme.com/token"
    static let globex = "/t/globex.com/token"
    static let defaultTenant = "/token"
}

extension TestClientProtocol {
    /// POSTs raw bytes to the token endpoint; `contentType` nil sends no `Content-Type` at all.
    func postToken(
        path: String = Paths.acme, bytes: [UInt8]?, contentType: String? = Form.contentType,
        authorization: String? = nil
    ) async throws -> TestResponse {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        if let authorization { headers[.authorization] = authorization }
        return try await execute(uri: path, method: .post, headers: headers, body: bytes.map { ByteBuffer(bytes: $0) })
    }

    func postToken(
        path: String = Paths.acme, body: String, contentType: String? = Form.contentType, authorization: String? = nil
    ) async throws -> TestResponse {
        try await postToken(path: path, bytes: Array(body.utf8), contentType: contentType, authorization: authorization)
    }

    func postToken(
        path: String = Paths.acme, form: [(String, String)], authorization: String? = nil
    ) async throws -> TestResponse {
        try await postToken(path: path, body: Form.body(form), authorization: authorization)
    }

    /// A client credentials request by `application` over HTTP Basic, with `extra` parameters.
    func requestToken(
        as application: TestApplication = Applications.acme, path: String = Paths.acme,
        _ extra: [(String, String)] = []
    ) async throws -> TestResponse {
        try await postToken(path: path, form: Form.clientCredentials + extra, authorization: Form.basic(application))
    }
}
