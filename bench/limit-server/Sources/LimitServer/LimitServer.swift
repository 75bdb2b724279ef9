import Hummingbird

/// A bare Hummingbird 2 server that answers a token request the way Tessera does on the wire (a form POST to
/// `/t/<tenant>/token` with HTTP Basic; JSON with `Cache-Control: no-store`) and does nothing else: no client
/// lookup, no token, no database. Its CPU per request is the floor Tessera's is compared with.
///
///     limit-server PORT
@main
struct LimitServer {
    static func main() async throws {
        guard CommandLine.arguments.count == 2, let port = Int(CommandLine.arguments[1]) else {
            print("usage: limit-server PORT")
            return
        }
        let router = Router()
        let answer = ByteBuffer(
            string: #"{"access_token":"tsr_at_20500.limitlimitlimitlimitlimitlimitlimitlimitlimitlim","#
                + #""scope":"default","token_type":"Bearer","expires_in":3600}"#)
        router.post("/t/:tenant/token") { request, _ -> Response in
            // Read the form as a server must before it can answer; a request without credentials is refused.
            _ = try await request.body.collect(upTo: 64 * 1024)
            guard request.headers[.authorization] != nil else { return Response(status: .unauthorized) }
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: answer))
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil))
        try await application.runService()
    }
}
