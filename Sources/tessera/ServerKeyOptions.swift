import ArgumentParser
import Foundation
import TesseraCore
import TesseraServer

/// Where the server key comes from (`--key-file`, `TESSERA_KEY`), and the data directory that holds the one made for
/// a single machine when none is given. `serve` and the commands that seal signing keys read it the same way.
struct ServerKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "File with the base64 server key that seals reusable tokens and signing keys, the same on every instance (env: TESSERA_KEY holds the key itself; `tessera token generate-key` makes one; default: one made in the data directory).",
            valueName: "path"))
    var keyFile: String?

    @Option(
        help: ArgumentHelp(
            "Directory for the self-signed certificate and the server key made when none is given (env: TESSERA_DATA_DIR; default .tessera in the working directory).",
            valueName: "directory"))
    var dataDir: String?

    func dataDirectory(_ environment: [String: String]) -> String {
        dataDir ?? environment["TESSERA_DATA_DIR"] ?? ".tessera"
    }

    /// The key the operator gave, from `--key-file` or `TESSERA_KEY` (`TESSERA_TOKEN_KEY`, its earlier name); nil
    /// when none was given.
    func givenKey(_ environment: [String: String]) throws -> ServerKey? {
        if let path = keyFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CommandFailure("cannot read the key file \(path)")
            }
            guard let key = ServerKey(base64: text) else {
                throw CommandFailure("the key file \(path) does not hold a base64 key of 32 bytes")
            }
            return key
        }
        for name in ["TESSERA_KEY", "TESSERA_TOKEN_KEY"] {
            guard let text = environment[name] else { continue }
            guard let key = ServerKey(base64: text) else {
                throw CommandFailure("\(name) must be a base64 key of 32 bytes (`tessera token generate-key`)")
            }
            return key
        }
        return nil
    }

    /// The given key, else the one in the data directory, made there when missing.
    func key(_ environment: [String: String]) throws -> ServerKey {
        if let key = try givenKey(environment) { return key }
        do {
            return try ServerKey.stored(in: dataDirectory(environment)).key
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
