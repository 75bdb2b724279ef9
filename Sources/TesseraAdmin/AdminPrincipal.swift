import TesseraCore

/// Who calls the admin API: the client a bearer token was issued to, and what its scope lets it administer.
///
/// `tessera:admin` counts only in the system tenant, where it reaches every tenant; `tessera:tenant-admin` reaches
/// the tenant the client belongs to, except the system tenant's. A tenant's client that was given the scope
/// `tessera:admin` gains nothing.
struct AdminPrincipal: Sendable, Equatable {
    static let systemScope = "tessera:admin"
    static let tenantScope = "tessera:tenant-admin"

    enum Reach: Sendable, Equatable {
        case everyTenant
        case tenant(String)
        /// An active token of ours without an admin scope: authenticated, allowed nothing (403).
        case nothing
    }

    /// The client's tenant (a domain).
    let tenant: String
    /// What the audit trail records as the actor: the client by tenant and consumer key, or the console's user.
    let actor: String
    let reach: Reach

    init(tenant: String, consumerKey: String, scopes: ScopeSet, systemTenant: String) {
        self.tenant = tenant
        self.actor = "\(tenant)/\(consumerKey)"
        if tenant == systemTenant, scopes.tokens.contains(Self.systemScope) {
            reach = .everyTenant
        } else if scopes.tokens.contains(Self.tenantScope), tenant != systemTenant {
            // Not in the system tenant: there, administering its own applications would let a client give itself
            // tessera:admin.
            reach = .tenant(tenant)
        } else {
            reach = .nothing
        }
    }

    /// A user signed in to the console: with the role tenant-admin, the user's own tenant, never the system tenant's
    /// (for the reason above: its administrators are clients with tessera:admin and the CLI).
    init(tenant: String, consoleUser username: String, roles: Set<UserRole>, systemTenant: String) {
        self.tenant = tenant
        self.actor = "\(tenant)/console:\(username)"
        reach = roles.contains(.tenantAdmin) && tenant != systemTenant ? .tenant(tenant) : .nothing
    }

    /// Whether the principal may act on `domain` (already lower-cased, as tenants' domains are).
    func mayAdminister(_ domain: String) -> Bool {
        switch reach {
        case .everyTenant: true
        case .tenant(let own): own == domain
        case .nothing: false
        }
    }

    /// The principal of the request being handled: set by `AdminAuthenticator` around the handler.
    @TaskLocal static var current: AdminPrincipal?
}
