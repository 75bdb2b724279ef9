import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Turns every error that escapes a route (unknown path, a body Hummingbird refused, a bug) into a JSON
/// error with the OAuth response headers; under `/admin/`, into an RFC 9457 problem, as the admin API answers
/// everything else. Nothing internal reaches the client: an unexpected error is a generic `server_error`, and its
/// detail goes to the log.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let code: OAuthError.Code = error.status == .notFound ? .notFound : .invalidRequest
            let description = error.status == .notFound ? "not found" : error.status.reasonPhrase.lowercased()
            context.notes.update { $0.error = code.rawValue }
            if Self.isAdmin(request) { return Self.problem(error.status, description) }
            return OAuthError(code, description, status: error.status.code).response(realm: nil)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            context.notes.update { $0.error = OAuthError.Code.serverError.rawValue }
            let description = "the server could not complete the request"
            if Self.isAdmin(request) { return Self.problem(.internalServerError, description) }
            return OAuthError(.serverError, description).response(realm: nil)
        }
    }

    /// Asked only once something failed: the token path pays nothing for it.
    private static func isAdmin(_ request: Request) -> Bool { request.uri.path.hasPrefix("/admin/") }

    static func problem(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        let body = JSONObject.problem(title: status.reasonPhrase, status: status.code, detail: detail)
        return Response(
            status: status, headers: [.contentType: "application/problem+json", .cacheControl: "no-store"],
            body: .init(byteBuffer: body))
    }
}
