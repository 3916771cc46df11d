public import DefterDomain
import Foundation

/// The service catalog shipped with Defter (`Resources/catalog-v1.json`, documented in
/// `Schemas/catalog/`): published into the log the first time a ticket is opened.
public enum BundledCatalog {
    /// Loads and checks the bundled catalog.
    public static func load() throws -> Catalog {
        guard let url = Bundle.module.url(forResource: "catalog-v1", withExtension: "json") else {
            throw DomainInputError(field: "catalog", reason: "the bundled catalog-v1.json is missing from this build")
        }
        return try JSONDecoder().decode(Catalog.self, from: Data(contentsOf: url))
    }
}
