/// What a grant's own endpoint answers: a status, headers and a body, which the server sends as they are (plus its
/// hardening headers where the endpoint set none of the same name).
public struct EndpointResponse: Sendable {
    public var status: Int
    /// Names and values in order; a name may repeat (`Set-Cookie`).
    public var headers: [(name: String, value: String)]
    public var body: String

    public init(status: Int, headers: [(name: String, value: String)] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A redirect of the browser to `location` (303 after a POST, so that the browser follows with GET; 302 else).
    public static func redirect(to location: String, afterPost: Bool, headers: [(name: String, value: String)] = [])
        -> EndpointResponse
    {
        EndpointResponse(
            status: afterPost ? 303 : 302,
            headers: [("Location", location), ("Cache-Control", "no-store")] + headers)
    }
}
