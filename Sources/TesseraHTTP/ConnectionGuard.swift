import HTTPTypes
import NIOCore
import NIOHTTP1
import TesseraCore

/// Holds one HTTP/1 connection to `ConnectionLimits`, and answers what HTTP/1 framing gets wrong before a request
/// ever reaches the router: a `Host` header missing or repeated (RFC 9112 §3.2), a `Content-Length` over the body
/// limit (413 before any of the body is read), `Expect: 100-continue` (RFC 9110 §10.1.1), and a request the parser
/// rejects. Its answers are JSON with the security headers, like every other answer of the server.
///
/// It sits in front of the HTTP/1 to HTTP types codec, where the protocol version and the raw headers are still
/// there; `ConnectionGuard.ByteObserver`, first in the pipeline, tells it of every byte, so a head sent a byte at
/// a time counts against the header timeout, not as an idle connection. Deadlines are checked once per
/// `ConnectionLimits.tick` rather than by a timer armed per request, so the hot path only writes a few fields.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    private var phase: ConnectionPhase
    private var tick: Scheduled<Void>?
    /// Set once this handler has answered for itself: what else the client sends is dropped, the connection closes.
    private var finished = false
    /// Request heads passed on, and responses whose head the router has written: an answer of this handler's own
    /// may go out only where it cannot interleave with, or follow, the router's answer to the same request.
    private var requestsPassed = 0
    private var responsesStarted = 0
    private var responding = false
    private var id: ObjectIdentifier { ObjectIdentifier(self) }

    init(limits: ConnectionLimits, registry: ConnectionRegistry) {
        self.limits = limits
        self.registry = registry
        self.phase = ConnectionPhase(now: .now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard registry.open(id, channel: context.channel, at: .now) else {
            finished = true
            context.close(promise: nil)
            return
        }
        scheduleTick(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    /// The connection is gone (or this handler is): no more ticks, and its place in the registry is free.
    private func release() {
        tick?.cancel()
        tick = nil
        registry.close(id)
    }

    /// From `ByteObserver`: bytes came in, whatever they are.
    func bytesRead() {
        let wasIdle = phase.isIdle
        phase.bytesRead(at: .now)
        if wasIdle { registry.setIdle(id, since: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let refusal = refusal(of: head) {
                answer(refusal, context: context)
                return
            }
            requestsPassed += 1
            phase.headRead(
                contentLength: head.headers.first(name: "content-length").flatMap { Int($0) }, limits: limits, at: .now)
            if head.headers.contains(name: "expect") {
                // Only 100-continue passes `refusal(of:)`: the client may send its body now.
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            phase.requestEnded(at: .now)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After an answer of this handler's own, the router's late response (to a request cut off) goes nowhere.
        guard !finished else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            responsesStarted += 1
            responding = true
        case .end:
            responding = false
            phase.responseEnded(at: .now)
            if phase.isIdle { registry.setIdle(id, since: .now) }
        case .head, .body:
            break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request the parser rejects gets a JSON 400 of ours, unless a response is already on its way.
        guard error is HTTPParserError, !finished, !responding, responsesStarted == requestsPassed else {
            context.fireErrorCaught(error)
            return
        }
        answer(Refusal(status: .badRequest, description: "the request is not valid HTTP/1.1"), context: context)
    }

    struct Refusal: Equatable {
        let status: HTTPResponseStatus
        let description: String
        /// Answered as an RFC 9457 problem, as the admin API answers, rather than as an OAuth error.
        var problem = false
    }

    /// Why the request with this head is answered here, not by the router; nil when it goes on. Under `/admin/`
    /// the refusal is a problem, as every other answer there.
    func refusal(of head: HTTPRequestHead) -> Refusal? {
        guard var refusal = reason(of: head) else { return nil }
        refusal.problem = head.uri.hasPrefix("/admin/")
        return refusal
    }

    private func reason(of head: HTTPRequestHead) -> Refusal? {
        // The non-empty comma-separated values of every Host field, as `headers[canonicalForm:]` counts them, but on
        // bytes: that split every value into new strings, 1 µs of each token request.
        var hosts = 0
        for (name, value) in head.headers where name.utf8[...].equalsIgnoringASCIICase("host") {
            for item in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            where item.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
                hosts += 1
            }
        }
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1; HTTP/1.0 may omit it but never repeat it.
        if hosts > 1 || (hosts == 0 && head.version != .http1_0) {
            return Refusal(status: .badRequest, description: "the request must have exactly one Host header")
        }
        let lengths = head.headers["content-length"]
        if let length = lengths.first.flatMap({ Int($0) }), length > limits.maximumBodySize {
            return Refusal(status: .payloadTooLarge, description: "the request body is too large")
        }
        let expectations = head.headers["expect"]
        if !expectations.isEmpty,
            expectations.count > 1 || expectations[0].lowercased() != "100-continue" || head.version == .http1_0
        {
            return Refusal(status: .expectationFailed, description: "only Expect: 100-continue is supported")
        }
        return nil
    }

    /// Sends `refusal` as the server's JSON error (or problem) and closes the connection.
    private func answer(_ refusal: Refusal, context: ChannelHandlerContext) {
        finished = true
        let body =
            refusal.problem
            ? JSONObject.problem(
                title: refusal.status.reasonPhrase, status: Int(refusal.status.code), detail: refusal.description)
            : JSONObject()
                .adding("error", refusal.status == .requestTimeout ? "request_timeout" : "invalid_request")
                .adding("error_description", refusal.description)
                .buffer()
        var headers =
            refusal.problem
            ? HTTPHeaders([("Content-Type", "application/problem+json"), ("Cache-Control", "no-store")])
            : HTTPHeaders(HTTPFields.oauthResponse.map { ($0.name.rawName, $0.value) })
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    private func scheduleTick(_ context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        tick = context.eventLoop.scheduleTask(in: TimeAmount(ConnectionLimits.tick)) {
            let (handler, context) = loopBound.value
            handler.checkDeadline(context)
        }
    }

    private func checkDeadline(_ context: ChannelHandlerContext) {
        tick = nil
        guard context.channel.isActive, !finished else { return }
        guard let deadline = phase.deadline(limits), ContinuousClock.now >= deadline else {
            scheduleTick(context)
            return
        }
        switch phase.stage {
        case .idle:
            finished = true
            context.close(promise: nil)
        case .readingHead, .readingBody:
            // A request begun but not finished in time (RFC 9110 §15.5.9); the router never sees it complete. It is
            // told so unless the router has already begun its answer (it may answer before reading a body).
            let unanswered = phase.stage == .readingHead ? 0 : 1
            guard !responding, responsesStarted + unanswered == requestsPassed else {
                finished = true
                context.close(promise: nil)
                return
            }
            answer(
                Refusal(status: .requestTimeout, description: "the request took too long to arrive"), context: context)
        case .responding:
            scheduleTick(context)
        }
    }

    /// First in the pipeline, before TLS and the HTTP parser: every byte the client sends passes here.
    final class ByteObserver: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        private let guardHandler: ConnectionGuard

        init(_ guardHandler: ConnectionGuard) { self.guardHandler = guardHandler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardHandler.bytesRead()
            context.fireChannelRead(data)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
