import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Turns every error that escapes a route (unknown path, a body Hummingbird refused, a bug) into a JSON
/// error with the OAuth response headers. Nothing internal reaches the client: an unexpected error is a
/// generic `server_error`, and its detail goes to the log.
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
            return OAuthError(code, description, status: error.status.code).response(realm: nil)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            context.notes.update { $0.error = OAuthError.Code.serverError.rawValue }
            return OAuthError(.serverError, "the server could not complete the request").response(realm: nil)
        }
    }
}
