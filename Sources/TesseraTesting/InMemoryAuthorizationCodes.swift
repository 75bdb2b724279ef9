import Foundation
import Synchronization
import TesseraCore

/// Authorization codes held in memory, single-use and expiring as `PostgresAuthorizationCodes`: for tests of the
/// authorization code grant and its endpoint.
public final class InMemoryAuthorizationCodes: AuthorizationCodeStore {
    private struct Entry {
        var code: AuthorizationCode
        var used = false
        var replayed = false
        var issued: [TokenReference] = []
    }

    private let entries = Mutex([TokenHash: Entry]())

    public init() {}

    public func save(_ code: AuthorizationCode) async throws {
        entries.withLock { $0[code.hash] = Entry(code: code) }
    }

    public func redeem(_ hash: TokenHash, tenantID: Tenant.ID, at now: Date) async throws -> CodeRedemption {
        entries.withLock { entries in
            guard var entry = entries[hash], entry.code.tenantID == tenantID else { return .invalid }
            if entry.used {
                entry.replayed = true
                entries[hash] = entry
                return .replayed(applicationID: entry.code.applicationID, issued: entry.issued)
            }
            guard now < entry.code.expiresAt else { return .invalid }
            entry.used = true
            entries[hash] = entry
            return .redeemed(entry.code)
        }
    }

    public func recordIssued(_ tokens: [TokenReference], code: TokenHash, tenantID: Tenant.ID) async throws -> Bool {
        entries.withLock { entries in
            guard var entry = entries[code], !entry.replayed else { return false }
            entry.issued = tokens
            entries[code] = entry
            return true
        }
    }

    /// How many codes were saved.
    public var count: Int { entries.withLock { $0.count } }
}

/// Browser sessions held in memory.
public final class InMemoryBrowserSessions: BrowserSessionStore {
    private let sessions = Mutex([TokenHash: (user: User, expiresAt: Date)]())
    private let users: InMemoryUserDirectory

    /// Sessions name users of `users`, looked up when a session is read (so a disabled user is signed out).
    public init(users: InMemoryUserDirectory) { self.users = users }

    public func start(_ session: TokenHash, tenantID: Tenant.ID, userID: User.ID, expiresAt: Date) async throws {
        guard let user = users.user(id: userID) else { return }
        sessions.withLock { $0[session] = (user, expiresAt) }
    }

    public func user(session: TokenHash, tenantID: Tenant.ID, at now: Date) async throws -> User? {
        guard let entry = sessions.withLock({ $0[session] }), entry.user.tenantID == tenantID, now < entry.expiresAt,
            let user = users.user(id: entry.user.id), user.enabled
        else { return nil }
        return user
    }

    public func end(_ session: TokenHash, tenantID: Tenant.ID) async throws {
        _ = sessions.withLock { $0.removeValue(forKey: session) }
    }

    /// How many sessions are open.
    public var count: Int { sessions.withLock { $0.count } }
}

/// Consents held in memory.
public final class InMemoryConsents: ConsentStore {
    private let consents = Mutex([String: Consent]())

    public init() {}

    public func consent(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws
        -> Consent?
    {
        consents.withLock { $0["\(tenantID)/\(userID)/\(applicationID)"] }
    }

    public func record(
        tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID, scopes: ScopeSet,
        resources: [String]
    ) async throws {
        consents.withLock {
            let key = "\(tenantID)/\(userID)/\(applicationID)"
            let before = $0[key]
            $0[key] = Consent(
                applicationID: applicationID, scopes: ScopeSet(Set((before?.scopes.tokens ?? []) + scopes.tokens)),
                resources: Array(Set((before?.resources ?? []) + resources)).sorted(), grantedAt: Date())
        }
    }

    public func revoke(tenantID: Tenant.ID, userID: User.ID, applicationID: ClientApplication.ID) async throws -> Bool {
        consents.withLock { $0.removeValue(forKey: "\(tenantID)/\(userID)/\(applicationID)") != nil }
    }

    /// The user's consents, each named after its application's id (no directory here).
    public func consents(tenantID: Tenant.ID, userID: User.ID) async throws -> [GrantedConsent] {
        consents.withLock { consents in
            consents.filter { $0.key.hasPrefix("\(tenantID)/\(userID)/") }.values
                .map { GrantedConsent(consent: $0, clientID: "\($0.applicationID)", clientName: "\($0.applicationID)") }
                .sorted { $0.clientName < $1.clientName }
        }
    }
}

/// A fixed list of the tenant's resources.
public struct StaticProtectedResources: ProtectedResourceDirectory {
    public let declared: [ProtectedResource]

    public init(_ declared: [ProtectedResource]) { self.declared = declared }

    public func resources(tenantID: Tenant.ID) async throws -> [ProtectedResource] { declared }
}
