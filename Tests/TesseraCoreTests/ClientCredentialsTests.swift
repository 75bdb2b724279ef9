import Foundation
import Testing

@testable import TesseraCore

@Suite("Client credentials extraction (RFC 6749 §2.3.1)")
struct ClientCredentialsTests {
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test("HTTP Basic halves are form-urldecoded")
    func basicIsFormDecoded() throws {
        let header = Self.basic("key%3Awith%2Bplus", "se+cret%25%3A")
        let credentials = try #require(try ClientCredentials.extract(authorization: header, form: .init([:])))
        #expect(credentials.consumerKey == "key:with+plus")
        #expect(credentials.secret == "se cret%:")
        #expect(credentials.method == .clientSecretBasic)
    }

    @Test("client_secret_post reads client_id and client_secret from the body")
    func post() throws {
        let form = TokenRequestParameters(["client_id": "abc", "client_secret": "xyz"])
        let credentials = try #require(try ClientCredentials.extract(authorization: nil, form: form))
        #expect(credentials.consumerKey == "abc" && credentials.secret == "xyz")
        #expect(credentials.method == .clientSecretPost)
    }

    @Test("no credentials at all -> nil, for the endpoint to decide")
    func none() throws {
        #expect(try ClientCredentials.extract(authorization: nil, form: .init([:])) == nil)
    }

    @Test(
        "refusals",
        arguments: [
            (basic("a", "b"), ["client_secret": "b"], OAuthError.Code.invalidRequest),
            (basic("a", "b"), ["client_id": "other"], .invalidRequest),
            (nil, ["client_secret": "b"], .invalidRequest),
            (nil, ["client_id": "a"], .invalidClient),
            ("Bearer abc", [:], .invalidClient),
            ("Basic !!!notbase64", [:], .invalidClient),
            ("Basic " + Data("nocolon".utf8).base64EncodedString(), [:], .invalidClient),
            (basic("", "b"), [:], .invalidClient),
            (basic(String(repeating: "k", count: 600), "b"), [:], .invalidClient),
        ] as [(String?, [String: String], OAuthError.Code)])
    func refusals(_ header: String?, _ form: [String: String], _ code: OAuthError.Code) {
        do {
            _ = try ClientCredentials.extract(authorization: header, form: .init(form))
            Issue.record("expected \(code.rawValue)")
        } catch {
            #expect(error.code == code)
        }
    }
}
