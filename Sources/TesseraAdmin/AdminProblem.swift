import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime
import TesseraCore
import TesseraHTTP
import TesseraPostgres

/// An admin API refusal as an RFC 9457 problem: the status, and in `detail` the one-line reason the CLI prints.
struct AdminProblem: Error, Sendable {
    let status: HTTPResponse.Status
    let detail: String
    /// RFC 6750 §3's `WWW-Authenticate` of a 401 or 403.
    var challenge: String?
    /// Seconds, with a 503.
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ detail: String, challenge: String? = nil) {
        self.status = status
        self.detail = detail
        self.challenge = challenge
    }

    static let realm = "tessera-admin"

    static func bearerChallenge(error: String?, scope: String? = nil) -> String {
        var challenge = "Bearer realm=\"\(realm)\""
        if let error { challenge += ", error=\"\(error)\"" }
        if let scope { challenge += ", scope=\"\(scope)\"" }
        return challenge
    }

    /// 403 with `insufficient_scope`: the token is good, its scope does not reach what it asked for.
    static func insufficientScope(_ detail: String, needs scope: String) -> AdminProblem {
        AdminProblem(.forbidden, detail, challenge: bearerChallenge(error: "insufficient_scope", scope: scope))
    }

    private struct Body: Encodable {
        let type = "about:blank"
        let title: String
        let status: Int
        let detail: String
    }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let challenge { headers[.wwwAuthenticate] = challenge }
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        let body = Body(title: status.reasonPhrase, status: status.code, detail: detail)
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The problem any error of an admin request is answered with. Refusals of the operations keep their reason;
    /// a body that does not match the document says where; anything unexpected is a bare 500 whose detail goes
    /// only to the log.
    static func answering(_ error: any Error, logger: Logger) -> AdminProblem {
        var underlying = error
        var runtimeStatus: HTTPResponse.Status?
        if let server = error as? ServerError {
            underlying = server.underlyingError
            runtimeStatus = server.httpStatus
        }
        switch underlying {
        case let problem as AdminProblem:
            return problem
        case let refusal as AdministrationError:
            let status: HTTPResponse.Status =
                switch refusal.kind {
                case .invalid: .badRequest
                case .notFound: .notFound
                case .conflict: .conflict
                }
            return AdminProblem(status, refusal.description)
        case let refusal as ApplicationSettingsError:
            return AdminProblem(.badRequest, refusal.description)
        case is StoreUnavailableError:
            var problem = AdminProblem(.serviceUnavailable, "the database is unavailable; retry shortly")
            problem.retryAfter = 1
            return problem
        case let error as OAuthError where error.code == .temporarilyUnavailable:
            // The password hashing threads are all busy with a full queue.
            var problem = AdminProblem(.serviceUnavailable, "the server is busy; retry shortly")
            problem.retryAfter = error.retryAfter ?? 1
            return problem
        case let error as DecodingError:
            return AdminProblem(.badRequest, "the body does not match the API document: \(describe(error))")
        case let error as any HTTPResponseError:
            return AdminProblem(
                error.status, error.status == .contentTooLarge ? "the body is too large" : error.status.reasonPhrase)
        case let error where DatabaseErrorMessage.sqlState(error)?.hasPrefix("22") == true:
            // A data exception: a value PostgreSQL will not take as text (a NUL character, mostly), which no rule
            // upstream turned away. The input's fault, whatever the field.
            return AdminProblem(.badRequest, "a value is not valid text (NUL characters are refused)")
        default:
            if let runtimeStatus, (400..<500).contains(runtimeStatus.code) {
                // The runtime's own refusals: a missing body, a content type other than JSON, a bad parameter.
                let cause = (error as? ServerError)?.causeDescription ?? runtimeStatus.reasonPhrase
                return AdminProblem(runtimeStatus, String(cause.prefix(200)))
            }
            // Never the request: its Authorization header holds the caller's token. The operation, the error's
            // type and its SQLSTATE say where to look.
            logger.error(
                "admin request failed",
                metadata: [
                    "operation": "\((error as? ServerError)?.operationID ?? "-")",
                    "error": "\(type(of: underlying))",
                    "sqlstate": "\(DatabaseErrorMessage.sqlState(underlying) ?? "-")",
                ])
            return AdminProblem(.internalServerError, "the server could not complete the request")
        }
    }

    /// Where a body failed to decode, and why, without echoing the value.
    private static func describe(_ error: DecodingError) -> String {
        let (path, reason): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(let type, let context): (context.codingPath, "expected \(type)")
            case .valueNotFound(_, let context): (context.codingPath, "a value is required")
            case .keyNotFound(let key, let context): (context.codingPath + [key], "required")
            case .dataCorrupted(let context): (context.codingPath, "not valid here")
            @unknown default: ([], "not valid")
            }
        let field = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return field.isEmpty ? reason : "\(field.prefix(200)): \(reason)"
    }
}

/// Answers every error of an admin request with its problem (`AdminProblem.answering`), and marks every answer
/// `no-store`: a created application's or a rotated secret's answer holds a secret.
struct AdminResponseMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        context.note(adminRequest: AdminAuthenticator.tenant(inPath: request.uri.path))
        do {
            var response = try await next(request, context)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch {
            return AdminProblem.answering(error, logger: context.logger).response
        }
    }
}
