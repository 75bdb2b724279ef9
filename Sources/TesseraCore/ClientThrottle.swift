import Foundation

/// Brute force and floods of bad client credentials (RFC 6749 §2.3.1 asks for protection against the first):
/// failed client authentications are counted per (tenant, consumer key, source address) and per source address.
/// Past the free failures, further attempts of that client from that address, or anything from that address, wait
/// a doubling delay and are answered 429 `slow_down` with `Retry-After` before any lookup, so a flood of random keys
/// from one address stops costing database queries. No one is locked out longer than `window` after the last
/// failure, and a success resets both counts it touches.
///
/// The client's count includes the address so that wrong secrets sent from elsewhere never slow the client itself
/// down: counted per key alone, a flood of wrong secrets for a known consumer key kept its real replicas answered
/// 429 for as long as the flood lasted (bench/flood.sh measured 0% of their requests served). Guessing a 192-bit
/// secret from many addresses at once stays hopeless; each address is still held to its own counts.
public struct ClientThrottle: Sendable {
    struct ClientKey: Hashable, Sendable {
        let tenantID: Tenant.ID
        let consumerKey: String
        let address: String?
    }

    private let byClient: FailureThrottle<ClientKey>
    private let byAddress: FailureThrottle<String>

    /// - Parameters:
    ///   - window: the longest wait, seconds; a client's replicas and an office behind one address share a count,
    ///     so it stays short by default.
    ///   - clientFreeFailures: failures in a row of one client from one address before it waits there.
    ///   - addressFreeFailures: failures in a row from one address, whatever the client, before it waits.
    public init(
        window: TimeInterval = 60, clientFreeFailures: Int = 10, addressFreeFailures: Int = 20,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        byClient = FailureThrottle(freeFailures: clientFreeFailures, window: window, now: now)
        byAddress = FailureThrottle(freeFailures: addressFreeFailures, window: window, now: now)
    }

    /// Seconds to wait before this client, from this address, may be checked again; nil when it may go ahead.
    func retryAfter(tenantID: Tenant.ID, consumerKey: String, address: String?) -> Int? {
        let client = byClient.retryAfter(ClientKey(tenantID: tenantID, consumerKey: consumerKey, address: address))
        let source = address.flatMap { byAddress.retryAfter($0) }
        guard let client, let source else { return client ?? source }
        return max(client, source)
    }

    func failed(tenantID: Tenant.ID, consumerKey: String, address: String?) {
        byClient.recordFailure(ClientKey(tenantID: tenantID, consumerKey: consumerKey, address: address))
        if let address { byAddress.recordFailure(address) }
    }

    func succeeded(tenantID: Tenant.ID, consumerKey: String, address: String?) {
        byClient.recordSuccess(ClientKey(tenantID: tenantID, consumerKey: consumerKey, address: address))
        if let address { byAddress.recordSuccess(address) }
    }
}
