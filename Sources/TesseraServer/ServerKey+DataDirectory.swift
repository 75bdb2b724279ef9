import Foundation
import TesseraCore

extension ServerKey {
    static let fileName = "server-key"

    /// The server key kept in `directory`, made there (0600) when missing: on one machine, token reuse and JWT access
    /// tokens work without any setting. Instances behind a load balancer must share one key (`TESSERA_KEY`), since
    /// each would otherwise make its own and could not open what the others sealed.
    public static func stored(in directory: String) throws(StartupError) -> (key: ServerKey, created: Bool) {
        let folder = DataDirectory(path: directory)
        let path = folder.file(fileName)
        do {
            return try folder.withLock {
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    guard let key = ServerKey(base64: text) else {
                        throw StartupError("\(path) does not hold a base64 key of 32 bytes")
                    }
                    return (key, false)
                }
                let text = ServerKey.generateKey()
                try folder.replaceFile(fileName, with: text + "\n", mode: 0o600)
                return (ServerKey(base64: text)!, true)
            }
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError(
                "cannot keep a server key in \(directory) (\(error)); set --data-dir or give one with TESSERA_KEY")
        }
    }
}
