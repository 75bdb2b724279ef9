/// The parts of a running server that grants build themselves from: the token issuer, the user directory, the
/// token ledger, the password hasher, the login throttle, and whatever a later grant needs. The server provides
/// each part once, under the type grants ask for; each grant takes what it needs in
/// `InstallableGrant.init(parts:)`. A new grant with a new dependency adds one `provide` line to the server, not a
/// field to a struct that every installation reads.
public struct ServerParts: Sendable {
    private var parts: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    /// Offers `part` to the grants that ask for `type` (a protocol's existential, such as `(any UserDirectory).self`,
    /// or a concrete type); a second part of the same type replaces the first.
    public mutating func provide<Part: Sendable>(_ part: Part, as type: Part.Type = Part.self) {
        parts[ObjectIdentifier(type)] = part
    }

    /// The part provided as `type`; throws when the server provides none.
    public func require<Part>(_ type: Part.Type = Part.self) throws(MissingServerPart) -> Part {
        guard let part = parts[ObjectIdentifier(type)] as? Part else { throw MissingServerPart(type: "\(type)") }
        return part
    }
}

/// A grant asked for a part the server does not provide: an installation error, found when the server starts.
public struct MissingServerPart: Error, Sendable, CustomStringConvertible {
    public let type: String
    public var description: String { "a grant needs \(type), which the server does not provide" }
}

/// A grant the server installs from `InstalledGrants`' list: it builds itself from the server's parts.
public protocol InstallableGrant: GrantHandler {
    init(parts: ServerParts) throws
}

extension GrantRegistry {
    /// Builds and registers each of `grants` from `parts`.
    public mutating func install(_ grants: [any InstallableGrant.Type], from parts: ServerParts) throws {
        for grant in grants { register(try grant.init(parts: parts)) }
    }
}
