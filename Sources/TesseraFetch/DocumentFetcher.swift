import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Fetches a small document a client publishes at a URL it registered: its JWK set (`jwks_uri`), later its Client
/// ID Metadata Document. The URL is the client's, so the fetch is built to be safe against it:
///
/// - https only, to a host name (certificates are checked against the system's trust store and
///   `additionalTrustRoots`); plain http only to a host the operator allowed (`allowedHosts`, for development and
///   tests).
/// - The host is resolved first and the connection made to that very address, so a name that resolves to the
///   loopback interface, a private network or a link-local metadata service is refused before a byte is sent
///   (unless it is one of `allowedHosts`), and a second resolution cannot swap the address (DNS rebinding).
/// - No redirects (a redirect is refused, not followed), no cookies, no credentials; GET with `Accept` only.
/// - At most `maximumSize` bytes, within `timeout` from the connection's start; status 200 only.
public struct DocumentFetcher: Sendable {
    /// Hosts (names or addresses, lower case, as URLs write them) fetched from whatever address they resolve to,
    /// over plain http too: the operator's exception for development and tests.
    public let allowedHosts: Set<String>
    public let timeout: TimeAmount
    public let maximumSize: Int
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext

    public init(
        allowedHosts: Set<String> = [], timeout: TimeAmount = .seconds(5), maximumSize: Int = 64 * 1024,
        additionalTrustRoots: [NIOSSLCertificate] = [],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if !additionalTrustRoots.isEmpty {
            configuration.additionalTrustRoots = [.certificates(additionalTrustRoots)]
        }
        self.tls = try NIOSSLContext(configuration: configuration)
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.timeout = timeout
        self.maximumSize = maximumSize
        self.group = group
    }

    /// The longest URL fetched.
    public static let maximumURLLength = 2000

    /// The document at `url`, and its media type.
    public func fetch(_ url: String, accept: String = "application/json") async throws -> (Data, String?) {
        let document = try await fetchDocument(url, accept: accept)
        return (document.body, document.contentType)
    }

    /// A fetched document with what its response says about caching it.
    public struct Document: Sendable {
        public let body: Data
        public let contentType: String?
        /// The `Cache-Control` header's directives, joined; nil without one.
        public let cacheControl: String?

        /// RFC 9111 §5.2.2: seconds the document may be reused (`max-age`), 0 for `no-store` or `no-cache`; nil when
        /// the response says nothing.
        public var maxAge: Int? {
            guard let cacheControl else { return nil }
            var age: Int?
            for directive in cacheControl.lowercased().split(separator: ",") {
                let parts = directive.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                switch parts.first {
                case "no-store", "no-cache": return 0
                case "max-age": age = parts.count == 2 ? Int(parts[1].trimmingCharacters(in: ["\""])) : nil
                default: break
                }
            }
            return age
        }
    }

    /// The document at `url`, with its response's caching directives.
    public func fetchDocument(_ url: String, accept: String = "application/json") async throws -> Document {
        let target = try Target(url, allowedHosts: allowedHosts)
        let host = target.host
        let port = target.port
        let address: SocketAddress
        do {
            address = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(host, port: port)
            }
        } catch {
            throw FetchError("cannot resolve \(host.prefix(253))")
        }
        guard target.allowed || PublicAddress.isPublic(address) else {
            throw FetchError("\(host.prefix(253)) resolves to an address that is not public")
        }
        let loop = group.next()
        let response = loop.makePromise(of: ResponseCollector.Response.self)
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: target.pathAndQuery,
            headers: [
                "Host": target.hostHeader, "Accept": accept, "User-Agent": "Tessera", "Connection": "close",
            ])
        let (tls, maximumSize) = (target.secure ? self.tls : nil, maximumSize)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(
                        ResponseCollector(request: head, maximumSize: maximumSize, response: response))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: address).get()
        } catch {
            // No connection, no collector to complete the promise: a promise left pending is a leak NIO traps on.
            response.fail(error)
            throw FetchError("cannot connect to \(host.prefix(253)): \(error)")
        }
        let timeout = timeout
        let answer = try await withThrowingTaskGroup(of: ResponseCollector.Response?.self) { group in
            group.addTask { try await response.futureResult.get() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                // Closing fails the response, which ends the other task.
                channel.close(promise: nil)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
                throw FetchError("no answer from \(host.prefix(253)) within \(timeout.nanoseconds / 1_000_000_000) s")
            }
            throw FetchError("no answer from \(host.prefix(253))")
        }
        guard answer.status == .ok else {
            throw FetchError("\(host.prefix(253)) answered \(answer.status.code), not 200")
        }
        return Document(
            body: Data(answer.body.readableBytesView), contentType: answer.contentType,
            cacheControl: answer.cacheControl?.isEmpty == false ? answer.cacheControl : nil)
    }

    /// A URL taken apart for the request; refused unless it can be fetched by the rules above.
    struct Target {
        let secure: Bool
        /// One of the operator's allowed hosts.
        let allowed: Bool
        let host: String
        let port: Int
        let pathAndQuery: String
        let hostHeader: String

        init(_ text: String, allowedHosts: Set<String>) throws {
            guard text.utf8.count <= DocumentFetcher.maximumURLLength, let url = URLComponents(string: text),
                let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
            else { throw FetchError("not an absolute URL") }
            guard url.user == nil, url.password == nil, url.fragment == nil else {
                throw FetchError("the URL has credentials or a fragment")
            }
            allowed = allowedHosts.contains(host.lowercased())
            switch scheme {
            case "https": secure = true
            case "http" where allowed: secure = false
            default: throw FetchError("only https URLs are fetched")
            }
            // Certificates name hosts: an https URL to a bare address could not be checked against one.
            let literal = host.hasPrefix("[") || host.allSatisfy { $0.isNumber || $0 == "." }
            if secure && literal { throw FetchError("an https URL must name a host, not an address") }
            self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            self.port = url.port ?? (secure ? 443 : 80)
            guard (1...65535).contains(port) else { throw FetchError("the URL's port is out of range") }
            let path = url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath
            self.pathAndQuery = path + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
            self.hostHeader = url.port.map { "\(host):\($0)" } ?? host
        }
    }
}

/// Sends the request when the connection is up and gathers the response, up to a size, into a promise that fails
/// if the connection ends first.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct Response: Sendable {
        let status: HTTPResponseStatus
        let contentType: String?
        let cacheControl: String?
        let body: ByteBuffer
    }

    private let request: HTTPRequestHead
    private let maximumSize: Int
    private let response: EventLoopPromise<Response>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var done = false

    init(request: HTTPRequestHead, maximumSize: Int, response: EventLoopPromise<Response>) {
        self.request = request
        self.maximumSize = maximumSize
        self.response = response
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= maximumSize else {
                finish(context, .failure(FetchError("the document is larger than \(maximumSize) bytes")))
                return
            }
            body.writeBuffer(&part)
        case .end:
            guard let head else {
                finish(context, .failure(FetchError("no response")))
                return
            }
            finish(
                context,
                .success(
                    Response(
                        status: head.status, contentType: head.headers.first(name: "Content-Type"),
                        cacheControl: head.headers[canonicalForm: "Cache-Control"].joined(separator: ","), body: body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(FetchError("the connection closed before the response ended")))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context, .failure(FetchError("the connection failed: \(error)")))
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<Response, FetchError>) {
        guard !done else { return }
        done = true
        response.completeWith(result.mapError { $0 as any Error })
        context.close(promise: nil)
    }
}
