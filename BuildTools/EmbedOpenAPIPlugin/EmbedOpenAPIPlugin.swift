import Foundation
import PackagePlugin

/// Compiles the target's `openapi.json`, the document swift-openapi-generator reads, into the target
/// (`EmbeddedOpenAPI.files`), so that the server serves the very document its types come from.
@main
struct EmbedOpenAPIPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let document = context.package.directoryURL.appending(path: "Sources/\(target.name)/openapi.json")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedOpenAPI.swift")
        return [
            .buildCommand(
                displayName: "Embedding the OpenAPI document of \(target.name)",
                executable: try context.tool(named: "EmbedFiles").url,
                arguments: ["EmbeddedOpenAPI", output.path, document.path],
                inputFiles: [document],
                outputFiles: [output]
            )
        ]
    }
}
