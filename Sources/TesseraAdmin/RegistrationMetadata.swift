import Foundation
import TesseraCore
import TesseraPostgres

/// A client's metadata as RFC 7591 §2 sends it, read into what `createApplication` takes. Unknown members are
/// ignored (§2); a member of the wrong type or a value we cannot honour is `Invalid` (`invalid_client_metadata`).
struct RegistrationMetadata {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
        /// `invalid_client_metadata` for a value we cannot honour, `invalid_request` for a request RFC 7592 forbids.
        let error: String
        init(_ description: String, error: String = "invalid_client_metadata") {
            self.description = description
            self.error = error
        }
    }

    var clientName: String?
    var grantTypes: [String]?
    var scope: String?
    var authMethod: String?
    var jwks: String?
    var jwksURI: String?
    var softwareID: String?
    var softwareVersion: String?
    /// Kept for the authorization code grant: absolute URIs without a fragment, https or http on a loopback host.
    var redirectURIs: [String]?
    /// Sent only with an update (RFC 7592 §2.2): the client's own identifier, and its secret if it chooses to prove it.
    var clientID: String?
    var clientSecret: String?
    /// Members only the server sets; an update that sends one is refused (RFC 7592 §2.2).
    var serverManaged: [String]

    init(json: Data) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw Invalid("the body must be a JSON object of client metadata")
        }
        clientName = try Self.string(object, "client_name", maximum: 150)
        scope = try Self.string(object, "scope", maximum: 2000)
        authMethod = try Self.string(object, "token_endpoint_auth_method", maximum: 40)
        softwareID = try Self.string(object, "software_id", maximum: 200)
        softwareVersion = try Self.string(object, "software_version", maximum: 200)
        clientID = try Self.string(object, "client_id", maximum: 200)
        clientSecret = try Self.string(object, "client_secret", maximum: 200)
        serverManaged = Self.serverManagedMembers.filter { object[$0] != nil }
        if let value = object["grant_types"] {
            guard let types = value as? [String], types.count <= 16, types.allSatisfy({ $0.utf8.count <= 100 }) else {
                throw Invalid("grant_types must be an array of at most 16 grant types")
            }
            grantTypes = types
        }
        if let value = object["redirect_uris"] {
            guard let uris = value as? [String], uris.count <= RedirectURI.maximumCount,
                uris.allSatisfy(RedirectURI.isRegistrable)
            else {
                throw Invalid(
                    "redirect_uris must be at most \(RedirectURI.maximumCount) absolute https URIs (http only on a loopback host), without fragments"
                )
            }
            redirectURIs = uris
        }
        // Its form is ClientAuthentication's to check, in settings().
        jwksURI = try Self.string(object, "jwks_uri", maximum: ClientAuthentication.maximumKeysURLLength)
        if let value = object["jwks"] {
            // Its size and keys are ClientKeySet's to check, in settings().
            guard value is [String: Any], let data = try? JSONSerialization.data(withJSONObject: value) else {
                throw Invalid("jwks must be a JWK set")
            }
            jwks = String(decoding: data, as: UTF8.self)
        }
    }

    static let serverManagedMembers = [
        "registration_access_token", "registration_client_uri", "client_secret_expires_at", "client_id_issued_at",
    ]

    /// Checks what RFC 7592 §2.2 asks of an update of `current`: its own `client_id`, none of the server's members,
    /// and a way of authenticating that needs no credential the client was never given (a client registered with
    /// private_key_jwt has no secret it knows of, and one registered with a secret gave no keys to move to).
    func checkUpdate(of current: ApplicationRecord) throws {
        guard clientID == current.consumerKey else {
            throw Invalid("client_id must be the client's own identifier", error: "invalid_request")
        }
        if let member = serverManaged.first {
            throw Invalid("\(member) is set by the server and cannot be sent in an update", error: "invalid_request")
        }
        let before = Self.method(of: current.authMethods)
        let after = authMethod ?? ClientAuthenticationMethod.clientSecretBasic.rawValue
        let secretMethods = ClientAuthenticationMethod.defaults.map(\.rawValue)
        if secretMethods.contains(before) != secretMethods.contains(after) {
            throw Invalid(
                "token_endpoint_auth_method cannot change from \(before) to \(after.prefix(40)): register anew")
        }
    }

    /// The settings the metadata asks for, by the rules of `tessera app create`. The name gets a random suffix:
    /// names are unique within a tenant, and many clients register as the same software. An update whose name is
    /// unchanged keeps the suffix it had (`currentName`).
    func settings(
        supportedGrantTypes: Set<GrantType>, defaultScope: String = ApplicationSettings.defaultScope,
        currentName: String? = nil
    ) throws -> ApplicationSettings {
        // The admin API's scopes are the administrators' to give: a client registering itself for one would hold
        // the admin API of its tenant.
        let reserved = OpenRegistration.reservedScopePrefix
        if let scope, scope.split(separator: " ").contains(where: { $0.hasPrefix(reserved) }) {
            throw Invalid("scopes beginning with \(reserved) cannot be registered")
        }
        let base = clientName ?? "client"
        let name =
            currentName.flatMap { $0.hasPrefix(base + " (") ? $0 : nil }
            ?? "\(base) (\(CredentialGenerator.consumerKey().prefix(6)))"
        var settings = try ApplicationSettings(
            name: name,
            grantTypes: grantTypes.map { Set($0.map(GrantType.init(rawValue:))) }
                ?? ApplicationSettings.defaultGrantTypes,
            allowedScopes: scope ?? defaultScope, defaultScopes: scope ?? defaultScope,
            supportedGrantTypes: supportedGrantTypes)
        // RFC 7591's default is client_secret_basic; a public client ("none") has nothing to authenticate with here.
        let method = authMethod ?? ClientAuthenticationMethod.clientSecretBasic.rawValue
        guard let chosen = ClientAuthenticationMethod(rawValue: method) else {
            throw Invalid("token_endpoint_auth_method \(method.prefix(40)) is not supported")
        }
        let keys: ClientKeySet?
        do {
            keys = try jwks.map { try ClientKeySet(json: $0) }
        } catch {
            throw Invalid("jwks: \(error)")
        }
        settings.authentication = try ClientAuthentication(methods: [chosen], keys: keys, keysURL: jwksURI)
        settings.redirectURIs = redirectURIs ?? []
        return settings
    }

    /// The one method a registered client was given, as `token_endpoint_auth_method` says it.
    static func method(of methods: [String]) -> String {
        methods.count == 1 ? methods[0] : ClientAuthenticationMethod.clientSecretBasic.rawValue
    }

    private static func string(_ object: [String: Any], _ name: String, maximum: Int) throws -> String? {
        guard let value = object[name] else { return nil }
        guard let text = value as? String, !text.isEmpty, text.utf8.count <= maximum, !text.hasControlCharacters
        else { throw Invalid("\(name) must be a string of 1 to \(maximum) bytes") }
        return text
    }
}
