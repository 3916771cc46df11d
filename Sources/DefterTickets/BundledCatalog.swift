public import DefterDomain
import Foundation

/// The service catalogs shipped with Defter (`Resources/catalog-v<N>.json`, documented in
/// `Schemas/catalog/`). The newest is the one in force: it is published into the log the first
/// time a ticket is opened, or on the next start of a log that has an older version.
public enum BundledCatalog {
    /// The version that `load()` returns: the newest shipped.
    public static let currentVersion = 2

    /// Loads and checks the bundled catalog in force.
    public static func load() throws -> Catalog { try load(version: currentVersion) }

    /// Loads and checks a shipped catalog version (1 or 2), e.g. to replay or compare.
    public static func load(version: Int) throws -> Catalog {
        guard let url = Bundle.module.url(forResource: "catalog-v\(version)", withExtension: "json") else {
            throw DomainInputError(field: "catalog", reason: "the bundled catalog-v\(version).json is missing from this build")
        }
        return try JSONDecoder().decode(Catalog.self, from: Data(contentsOf: url))
    }
}
