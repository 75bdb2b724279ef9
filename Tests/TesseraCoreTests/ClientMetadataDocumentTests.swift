import Foundation
import TesseraCore
import Testing

/// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) as the server checks them.
@Suite("Client metadata documents")
struct ClientMetadataDocumentTests {
    static let url = "https://agent.example/oauth/client.json"

    @Test(
        "client_id URLs read as a document's",
        arguments: [
            ("https://agent.example/client.json", true), ("https://agent.example/a/b", true),
            ("http://127.0.0.1:8080/client.json", true), ("https://agent.example/", false),
            ("https://agent.example", false), ("http://agent.example/client.json", false),
            ("https://agent.example/a/../b", false), ("https://agent.example/./b", false),
            ("https://user:pw@agent.example/c", false), ("https://agent.example/c#f", false),
            ("https://agent.example/c?q=1", false), ("pBzuIZhGphfQmdcUX0lneFiiuxwa", false),
            ("https://agent.example/" + String(repeating: "a", count: 600), false),
        ])
    func documentURLs(_ text: String, _ expected: Bool) {
        #expect(ClientMetadataDocument.isDocumentURL(text) == expected)
    }

    static func document(_ members: [String: Any]) throws -> ClientMetadataDocument {
        var object: [String: Any] = [
            "client_id": url, "client_name": "Agent", "redirect_uris": ["http://127.0.0.1/callback"],
        ]
        object.merge(members) { $1 }
        return try ClientMetadataDocument(json: try JSONSerialization.data(withJSONObject: object), url: url)
    }

    @Test("a public client's document: none by default, its name and redirect URIs")
    func publicClient() throws {
        let document = try Self.document([:])
        #expect(document.authentication.isPublic && document.clientName == "Agent")
        #expect(document.redirectURIs == ["http://127.0.0.1/callback"])
        #expect(document.applicationName.hasPrefix("Agent #") && document.applicationName.count == 15)
    }

    @Test(
        "documents refused: another client_id, a secret, no or bad redirect URIs, a secret method, no code grant",
        arguments: [
            #"{"client_id":"https://other.example/client.json"}"#, #"{"client_secret":"s"}"#,
            #"{"redirect_uris":[]}"#, #"{"redirect_uris":["https://a.example/cb#frag"]}"#,
            #"{"redirect_uris":["https://*.example/cb"]}"#, #"{"token_endpoint_auth_method":"client_secret_basic"}"#,
            #"{"token_endpoint_auth_method":"private_key_jwt"}"#, #"{"grant_types":["client_credentials"]}"#,
            #"{"client_name":"\#(String(repeating: "n", count: 300))"}"#,
        ])
    func refused(_ members: String) throws {
        let changes = try #require(try JSONSerialization.jsonObject(with: Data(members.utf8)) as? [String: Any])
        #expect(throws: ClientMetadataDocumentError.self) { try Self.document(changes) }
    }

    @Test("not JSON, or not an object: refused")
    func notJSON() {
        for text in ["", "[]", "nope"] {
            #expect(throws: ClientMetadataDocumentError.self) {
                try ClientMetadataDocument(json: Data(text.utf8), url: Self.url)
            }
        }
    }

    @Test("private_key_jwt with a jwks_uri")
    func privateKeyJWT() throws {
        let document = try Self.document([
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://agent.example/jwks.json",
        ])
        #expect(document.authentication.methods == [.privateKeyJWT])
        #expect(document.authentication.keysURL == "https://agent.example/jwks.json")
    }
}
