public import DefterDomain
public import Foundation

/// Replies a crew can start a resolution note from, kept as data beside the catalog
/// (`Resources/reply-templates.json`), by category id, department id, or `*` for every ticket.
/// An admin replaces them by writing `reply-templates.json` into the data folder.
public struct ReplyTemplates: Sendable, Equatable, Decodable {
    /// One reply.
    public struct Template: Sendable, Equatable, Codable {
        public let id: String
        /// A short name to pick it by.
        public let title: String
        /// The note it fills in.
        public let text: String
    }

    public let version: Int
    /// Templates by category id, department id, or `*`.
    public let templates: [String: [Template]]

    /// The templates that fit a category: its own, then its department's, then the generic ones.
    public func forCategory(_ category: CategoryID, in department: DepartmentID) -> [Template] {
        (templates[category.rawValue] ?? []) + (templates[department.rawValue] ?? []) + (templates["*"] ?? [])
    }

    /// The admin's file in `folder` when there is one, else the bundled templates. A damaged
    /// file is an error that names it, never silently ignored.
    public static func load(dataFolder folder: URL) throws -> ReplyTemplates {
        let custom = folder.appendingPathComponent("reply-templates.json")
        if FileManager.default.fileExists(atPath: custom.path) {
            do {
                return try JSONDecoder().decode(Self.self, from: Data(contentsOf: custom))
            } catch {
                throw DomainInputError(
                    field: "reply-templates.json",
                    reason: "\(custom.path) is not valid ({version, templates: {category: [{id, title, text}]}}): \(error)")
            }
        }
        guard let url = Bundle.module.url(forResource: "reply-templates", withExtension: "json") else {
            throw DomainInputError(field: "reply-templates", reason: "the bundled reply-templates.json is missing from this build")
        }
        return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}
