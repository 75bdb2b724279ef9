/// Why a document could not be fetched, in one line that names no secret: it goes to the debug log and, for an
/// operator's command, to the terminal.
public struct FetchError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
