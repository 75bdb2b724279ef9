import Foundation
import Testing

@testable import TesseraCore

@Suite("Client credentials extraction (RFC 6749 §2.3.1)")
struct ClientCredentialsTests {
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// Stricter than Foundation, which takes "QQ=A" and "====".
    @Test("base64 decoding agrees with Foundation on every length and byte, and refuses what is not base64")
    func base64() {
        for length in 0..<64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let encoded = Data(bytes).base64EncodedString()
            #expect(ClientCredentials.base64Decode(encoded.utf8) == bytes, "\(encoded)")
        }
        #expect(ClientCredentials.base64Decode("+/8=".utf8) == [0xFB, 0xFF])
        #expect(ClientCredentials.base64Decode("a2V5OnNlY3JldA==".utf8) == Array("key:secret".utf8))
        let refused = [
            "a2V5OnNlY3JldA", "a2V5=nNl", "QQ=A", "Q===", "====", "a2V5-_8=", "a2V5\n", "QUJD QUJD", "QQ==QUJD",
        ]
        for text in refused {
            #expect(ClientCredentials.base64Decode(text.utf8) == nil, "\(text)")
        }
        #expect(ClientCredentials.base64Decode("".utf8) == [])
    }

    @Test("the scheme name is case-insensitive; other schemes are refused")
    func basicScheme() throws {
        let encoded = Data("key:secret".utf8).base64EncodedString()
        for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
            let credentials = try ClientCredentials.extract(authorization: "\(scheme) \(encoded)", form: .init([:]))
            #expect(credentials?.consumerKey == "key")
        }
        for scheme in ["Bearer", "Basi", "Basics", "Bas1c"] {
            #expect(throws: OAuthError.self) {
                try ClientCredentials.extract(authorization: "\(scheme) \(encoded)", form: .init([:]))
            }
        }
    }

    @Test("HTTP Basic halves are form-urldecoded")
    func basicIsFormDecoded() throws {
        let header = Self.basic("key%3Awith%2Bplus", "se+cret%25%3A")
        let credentials = try #require(try ClientCredentials.extract(authorization: header, form: .init([:])))
        #expect(credentials.consumerKey == "key:with+plus")
        #expect(credentials.secret == "se cret%:")
        #expect(credentials.method == .clientSecretBasic)
    }

    @Test("the colon splits bytes, not Characters: a combining mark after it stays in the secret")
    func colonSplitsBytes() throws {
        let header = Self.basic("key", "\u{301}secret")
        let credentials = try #require(try ClientCredentials.extract(authorization: header, form: .init([:])))
        #expect(credentials.consumerKey == "key")
        #expect(credentials.secret == "\u{301}secret", "the secret keeps its first code point")
        #expect(credentials.secret != "secret")
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
            ("Bearer abc", [:], .invalidClient),
            ("Basic !!!notbase64", [:], .invalidClient),
            ("Basic " + Data("nocolon".utf8).base64EncodedString(), [:], .invalidClient),
            (basic("", "b"), [:], .invalidClient),
            (basic(String(repeating: "k", count: 600), "b"), [:], .invalidClient),
        ] as [(String?, [String: String], OAuthError.Code)])
    func refusals(_ header: String?, _ form: [String: String], _ code: OAuthError.Code) {
        // (client_id alone is a public client: `publicClient` below.)
        do {
            _ = try ClientCredentials.extract(authorization: header, form: .init(form))
            Issue.record("expected \(code.rawValue)")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("client_id alone is a public client naming itself: method none, no proof")
    func publicClient() throws {
        let credentials = try #require(
            try ClientCredentials.extract(authorization: nil, form: .init(["client_id": "a"])))
        #expect(credentials.consumerKey == "a" && credentials.method == ClientAuthenticationMethod.none)
        #expect(credentials.secret == nil)
    }
}
