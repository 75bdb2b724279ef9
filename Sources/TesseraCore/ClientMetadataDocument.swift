import Crypto
import Foundation

/// A client's metadata as it publishes it at its `client_id` (draft-ietf-oauth-client-id-metadata-document, which
/// the MCP authorization spec of 2025-11-25 uses): no registration, the URL is the client. Checked here, without I/O;
/// fetching it is `ClientDocumentResolver`'s.
public struct ClientMetadataDocument: Sendable, Equatable {
    /// The document's URL, which is the client's `client_id`.
    public let clientID: String
    public let clientName: String
    public let redirectURIs: [String]
    /// `none` (a public client) or `private_key_jwt` with the keys or their URL; never a shared secret, which a
    /// public document cannot hold.
    public let authentication: ClientAuthentication

    /// Longest `client_id` URL taken: it is kept as the application's consumer key.
    public static let maximumURLLength = 512

    /// Whether `text` is a client_id this server reads as a document's URL (§3 of the draft): https with a host and a
    /// path other than `/`, no fragment, credentials, or dot segments; http only on a loopback host, for development
    /// (the server fetches from one only when its operator allows the host).
    public static func isDocumentURL(_ text: String) -> Bool {
        guard text.hasPrefix("https://") || text.hasPrefix("http://"),
            RedirectURI.isHTTPSOrLoopback(text, maximumLength: maximumURLLength),
            let url = URLComponents(string: text), url.path.count > 1, url.query == nil
        else { return false }
        let segments = url.path.split(separator: "/", omittingEmptySubsequences: false)
        return !segments.contains { $0 == "." || $0 == ".." }
    }

    /// The document at `url`, checked: a JSON object whose `client_id` is `url` exactly, with `redirect_uris`, and an
    /// authentication method a document can support.
    public init(json: Data, url: String) throws(ClientMetadataDocumentError) {
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw .init("the document is not a JSON object")
        }
        guard object["client_id"] as? String == url else {
            throw .init("the document's client_id is not its URL")
        }
        for secret in ["client_secret", "client_secret_expires_at"] where object[secret] != nil {
            throw .init("the document holds \(secret), which a public document cannot keep secret")
        }
        let name = (object["client_name"] as? String)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard name.count <= ApplicationSettings.maximumNameLength, !name.hasControlCharacters else {
            throw .init("client_name must be at most \(ApplicationSettings.maximumNameLength) printable characters")
        }
        guard let uris = object["redirect_uris"] as? [String], !uris.isEmpty else {
            throw .init("the document has no redirect_uris")
        }
        let redirectURIs: [String]
        do {
            redirectURIs = try ApplicationSettings.redirectURIs(uris)
        } catch {
            throw .init("redirect_uris: \(error)")
        }
        let method = object["token_endpoint_auth_method"] as? String ?? ClientAuthenticationMethod.none.rawValue
        switch ClientAuthenticationMethod(rawValue: method) {
        case .none?:
            authentication = .publicClient
        case .privateKeyJWT?:
            do {
                let keys = try (object["jwks"]).map { jwks throws in
                    try ClientKeySet(
                        json: String(decoding: try JSONSerialization.data(withJSONObject: jwks), as: UTF8.self))
                }
                authentication = try ClientAuthentication(
                    methods: [.privateKeyJWT], keys: keys, keysURL: object["jwks_uri"] as? String)
            } catch {
                throw .init("private_key_jwt: \(error)")
            }
        default:
            throw .init("token_endpoint_auth_method must be none or private_key_jwt")
        }
        if let grants = object["grant_types"] as? [String], !grants.contains("authorization_code") {
            throw .init("grant_types does not include authorization_code")
        }
        self.clientID = url
        self.clientName = name.isEmpty ? (URLComponents(string: url)?.host ?? url) : name
        self.redirectURIs = redirectURIs
    }
}

extension ClientMetadataDocument {
    /// The name of the application that stands for the client: `client_name #<8 hex digits of the URL's SHA-256>`, as
    /// names are unique in a tenant and two documents may claim the same one.
    public var applicationName: String {
        let digest = SHA256.hash(data: Data(clientID.utf8)).prefix(4).hexadecimal
        return "\(clientName.prefix(ApplicationSettings.maximumNameLength - 10)) #\(digest)"
    }
}

extension ClientApplication {
    /// The name to show a user: a document's client without the suffix `applicationName` adds.
    public var displayName: String {
        guard knownByDocument, name.count > 10 else { return name }
        return String(name.dropLast(10))
    }
}

/// Why a client's metadata document cannot be used, in a line the error page shows.
public struct ClientMetadataDocumentError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Finds the client a document URL names: fetches and checks its document (cached as HTTP caching allows), and keeps
/// it as an application of the tenant so that codes, consents and tokens refer to it.
public protocol ClientDocumentResolver: Sendable {
    /// The client whose `client_id` is `url`, for `tenant` (which accepts such clients). Throws
    /// `ClientMetadataDocumentError` when the document cannot be fetched or used.
    func client(at url: String, tenant: Tenant) async throws -> ClientApplication
}
