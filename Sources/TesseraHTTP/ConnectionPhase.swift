/// Where one HTTP/1 connection stands in its exchange, and by when it must have moved on (`ConnectionLimits`).
/// A pure value: the channel handlers feed it what they see and the time; tests feed it a clock of their own.
struct ConnectionPhase {
    enum Stage: Equatable {
        /// No request in progress and none begun: waiting for the client's next request.
        case idle
        /// Bytes of a request have come, its head is not complete.
        case readingHead
        /// The head is read, the body is not complete.
        case readingBody
        /// Every request read is being answered; the server's own deadlines bound this, not the client.
        case responding
    }

    private(set) var stage: Stage = .idle
    /// When `stage` began.
    private var since: ContinuousClock.Instant
    private var lastRead: ContinuousClock.Instant
    private var bodyBytesExpected = 0
    /// Requests whose head was read and whose response has not ended (HTTP/1 pipelining allows several).
    private var unanswered = 0
    /// Bytes of a further request came while a response was still being written.
    private var readWhileResponding = false

    init(now: ContinuousClock.Instant) {
        since = now
        lastRead = now
    }

    /// Any bytes from the client (before the HTTP parser: a head sent a byte at a time shows here only).
    mutating func bytesRead(at now: ContinuousClock.Instant) {
        lastRead = now
        switch stage {
        case .idle: enter(.readingHead, at: now)
        case .responding: readWhileResponding = true
        case .readingHead, .readingBody: break
        }
    }

    /// A request head, parsed; `contentLength` nil for a chunked body.
    mutating func headRead(contentLength: Int?, limits: ConnectionLimits, at now: ContinuousClock.Instant) {
        unanswered += 1
        lastRead = now
        bodyBytesExpected = contentLength ?? limits.maximumBodySize
        enter(.readingBody, at: now)
    }

    /// The end of a request (its body, if any, complete).
    mutating func requestEnded(at now: ContinuousClock.Instant) {
        enter(.responding, at: now)
    }

    /// The end of a response.
    mutating func responseEnded(at now: ContinuousClock.Instant) {
        unanswered = max(0, unanswered - 1)
        guard unanswered == 0, stage == .responding else { return }
        enter(readWhileResponding ? .readingHead : .idle, at: now)
    }

    /// Whether the connection may be closed to make room for another: nothing of a request is in progress.
    var isIdle: Bool { stage == .idle }

    /// When the client will have taken too long, or nil while the server is answering.
    func deadline(_ limits: ConnectionLimits) -> ContinuousClock.Instant? {
        switch stage {
        case .idle:
            return since + limits.idleTimeout
        case .readingHead:
            return since + limits.headerTimeout
        case .readingBody:
            let atMinimumRate = Duration.seconds(Double(bodyBytesExpected) / Double(max(1, limits.minimumBodyRate)))
            return min(lastRead + limits.bodyTimeout, since + limits.bodyTimeout + atMinimumRate)
        case .responding:
            return nil
        }
    }

    private mutating func enter(_ next: Stage, at now: ContinuousClock.Instant) {
        if next != .responding { readWhileResponding = false }
        stage = next
        since = now
    }
}
