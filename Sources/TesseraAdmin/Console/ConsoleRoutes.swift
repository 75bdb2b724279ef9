import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraHTTP
import TesseraPages

/// What the console needs besides the admin API: the sign-in shared with the authorization endpoint (`UserSignIn`,
/// its throttle), where sessions are kept, and how browsers reach the server.
public struct ConsoleSettings: Sendable {
    let signIn: UserSignIn
    let sessions: any BrowserSessionStore
    let defaultTenant: String?
    let trustedProxies: TrustedProxies
    /// Whether browsers reach the server over HTTPS (the public URL's scheme): the cookie is then `__Host-`, `Secure`.
    let secure: Bool

    public init(
        signIn: UserSignIn, sessions: any BrowserSessionStore, defaultTenant: String?, trustedProxies: TrustedProxies,
        secure: Bool
    ) {
        self.signIn = signIn
        self.sessions = sessions
        self.defaultTenant = defaultTenant
        self.trustedProxies = trustedProxies
        self.secure = secure
    }
}

/// The console's routes: `/console/` leads to a tenant's console (the default tenant's, or `?tenant=`), and
/// `/t/{tenant}/console/...` serves its pages with the hardening every page gets.
struct ConsoleRoutes: Sendable {
    let console: Console
    let settings: ConsoleSettings

    func register(on router: Router<TesseraRequestContext>) {
        router.get("/console") { request, context in
            context.note(console: nil)
            let asked = request.uri.queryParameters.get("tenant").map { String($0) } ?? settings.defaultTenant
            guard let domain = asked.flatMap({ Tenant.normalizedDomain($0) }) else {
                return GrantEndpointRoutes.response(ConsolePages.chooseTenant(asked: asked), context: context)
            }
            return Response(status: .seeOther, headers: [.location: Console.base(domain) + "/"])
        }
        for path in ["/t/:tenant/console", "/t/:tenant/console/**"] {
            for method in [HTTPRequest.Method.get, .post] {
                router.on(RouterPath(path), method: method) { request, context in
                    let tenant = context.parameters.get("tenant")
                    context.note(console: tenant)
                    let segments = Self.segments(request.uri.path)
                    return await GrantEndpointRoutes.serve(
                        request, context: context, tenant: tenant, trustedProxies: settings.trustedProxies,
                        secure: settings.secure
                    ) { page in
                        guard let segments else {
                            return ConsolePages.message("Not found", "There is no such page.", status: 404)
                        }
                        return await console.respond(to: page, path: segments, logger: context.logger)
                    }
                }
            }
        }
    }

    /// The path's segments below `/t/{tenant}/console`, each percent-decoded; nil for one that does not decode or
    /// a path too long to be one of ours.
    static func segments(_ path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst(3)
        guard parts.count <= 4 else { return nil }
        var segments: [String] = []
        for part in parts {
            guard let decoded = part.removingPercentEncoding, decoded.utf8.count <= 2048 else { return nil }
            segments.append(decoded)
        }
        return segments
    }
}
