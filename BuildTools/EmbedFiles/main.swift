// Turns text files into one Swift source file at build time, so that an installed `tessera` binary carries them
// (the SQL migrations, the admin API's OpenAPI document) without the checkout, and the files stay the only copy.
// Usage: EmbedFiles <enum-name> <output.swift> <file>...
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: EmbedFiles <enum-name> <output.swift> <file>...\n".utf8))
    exit(2)
}
let (name, output) = (arguments[1], URL(fileURLWithPath: arguments[2]))
let files = arguments.dropFirst(3).map { URL(fileURLWithPath: $0) }.sorted {
    $0.lastPathComponent < $1.lastPathComponent
}

var source = """
    // Generated at build time by BuildTools/EmbedFiles. Do not edit.
    enum \(name) {
        static let files: [(name: String, text: String)] = [

    """
for file in files {
    let text = try String(contentsOf: file, encoding: .utf8)
    // A raw string whose delimiter cannot occur in the file keeps the text byte for byte.
    var hashes = "#"
    while text.contains("\"\"\"" + hashes) || text.contains("\"" + hashes) { hashes += "#" }
    source += "        (\"\(file.lastPathComponent)\", \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)),\n"
}
source += "    ]\n}\n"
try source.write(to: output, atomically: true, encoding: .utf8)
