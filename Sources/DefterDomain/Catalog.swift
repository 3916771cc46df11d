public import Foundation

/// The municipality's departments, the request categories each handles and their service
/// standards, as published at one version. Publishing a new version is itself an event, so that
/// replay applies the catalog that was in force at the time.
public struct Catalog: Sendable, Equatable, Codable {
    /// The catalog's version, increasing with each publication.
    public let version: Int
    /// When the version takes effect (RFC 3339 UTC).
    public let effectiveFrom: String
    /// The departments, in the published order.
    public let departments: [Department]

    /// A department of the municipality.
    public struct Department: Sendable, Equatable, Codable {
        /// The department's id.
        public let id: DepartmentID
        /// Its Turkish name.
        public let name: String
        /// An English gloss.
        public let gloss: String
        /// The request categories it handles.
        public let categories: [Category]
    }

    /// A kind of request with its service standard.
    public struct Category: Sendable, Equatable, Codable {
        /// The category's id, `<department>.<slug>`.
        public let id: CategoryID
        /// Its Turkish name.
        public let name: String
        /// An English gloss.
        public let gloss: String
        /// The maximum completion time the service standard sets, in hours.
        public let standardHours: Int
        /// 1 (most urgent) to 4.
        public let priority: Int
        /// `winter` or `summer` for seasonal work, else nil.
        public let season: String?
        /// Set when the category is retired: the category that takes its requests from this
        /// version on. A retired category stays in the catalog so that tickets opened under it
        /// still resolve, but no new request is filed under it.
        public let replacedBy: CategoryID?

        /// Creates a category; `replacedBy` retires it.
        public init(
            id: CategoryID, name: String, gloss: String, standardHours: Int, priority: Int, season: String?,
            replacedBy: CategoryID? = nil
        ) {
            self.id = id
            self.name = name
            self.gloss = gloss
            self.standardHours = standardHours
            self.priority = priority
            self.season = season
            self.replacedBy = replacedBy
        }

        /// Whether the category is retired (kept for old tickets, closed to new ones).
        public var isRetired: Bool { replacedBy != nil }
    }

    /// Creates a catalog after checking it: unique ids, categories prefixed by their department,
    /// positive standards, priorities 1 to 4.
    public init(version: Int, effectiveFrom: String, departments: [Department]) throws(DomainInputError) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.departments = departments
        try validate()
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        effectiveFrom = try container.decode(String.self, forKey: .effectiveFrom)
        departments = try container.decode([Department].self, forKey: .departments)
        try validate()
    }

    private enum CodingKeys: String, CodingKey { case version, effectiveFrom, departments }

    private func validate() throws(DomainInputError) {
        guard version >= 1 else { throw DomainInputError(field: "catalog.version", reason: "must be at least 1") }
        var seen = Set<String>()
        for department in departments {
            guard department.id != .triage else {
                throw DomainInputError(field: "catalog", reason: "'triage' is the human triage queue, not a department")
            }
            guard seen.insert(department.id.rawValue).inserted else {
                throw DomainInputError(field: "catalog", reason: "department '\(department.id)' appears twice")
            }
            guard !department.categories.isEmpty else {
                throw DomainInputError(field: "catalog", reason: "department '\(department.id)' has no categories")
            }
            for category in department.categories {
                guard category.id.rawValue.hasPrefix(department.id.rawValue + ".") else {
                    throw DomainInputError(field: "catalog", reason: "category '\(category.id)' must start with '\(department.id).'")
                }
                guard seen.insert(category.id.rawValue).inserted else {
                    throw DomainInputError(field: "catalog", reason: "category '\(category.id)' appears twice")
                }
                guard category.standardHours > 0, (1...4).contains(category.priority) else {
                    throw DomainInputError(
                        field: "catalog", reason: "category '\(category.id)' needs standardHours > 0 and priority 1 to 4")
                }
            }
            guard department.categories.contains(where: { !$0.isRetired }) else {
                throw DomainInputError(field: "catalog", reason: "department '\(department.id)' has only retired categories")
            }
        }
        for department in departments {
            for category in department.categories {
                guard let successor = category.replacedBy else { continue }
                guard let found = self.category(successor), !found.category.isRetired else {
                    throw DomainInputError(
                        field: "catalog",
                        reason: "category '\(category.id)' is replaced by '\(successor)', which is not an open category of this catalog")
                }
            }
        }
    }

    /// The categories open to new requests (not retired), in the published order.
    public var openCategories: [Category] { departments.flatMap { $0.categories.filter { !$0.isRetired } } }

    /// The department with `id`.
    public func department(_ id: DepartmentID) -> Department? {
        departments.first { $0.id == id }
    }

    /// The category with `id` and the department that handles it.
    public func category(_ id: CategoryID) -> (department: Department, category: Category)? {
        for department in departments {
            if let category = department.categories.first(where: { $0.id == id }) { return (department, category) }
        }
        return nil
    }

    /// Checks that `category` belongs to `department` and is open to new requests, with errors
    /// that name what exists; without a category, the department's first open one.
    public func resolve(department: DepartmentID, category: CategoryID?) throws(TicketError) -> (Department, Category) {
        guard let found = self.department(department) else {
            throw .unknownDepartment(department, known: departments.map(\.id))
        }
        let open = found.categories.filter { !$0.isRetired }
        guard let category else { return (found, open[0]) }
        guard let match = found.categories.first(where: { $0.id == category }) else {
            throw .unknownCategory(category, department: department, known: open.map(\.id))
        }
        if let successor = match.replacedBy {
            throw .invalid(
                DomainInputError(
                    field: "category",
                    reason: "'\(category)' was retired in catalog version \(version); file the request under '\(successor)' instead"))
        }
        return (found, match)
    }
}
