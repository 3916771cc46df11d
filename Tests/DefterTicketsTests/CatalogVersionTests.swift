import DefterDomain
import DefterTickets
import Testing

@Suite struct CatalogVersionTests {
    @Test("catalog v2 is in force and keeps every v1 id, so tickets opened under v1 still resolve")
    func v2KeepsV1Ids() throws {
        let v1 = try BundledCatalog.load(version: 1)
        let v2 = try BundledCatalog.load()
        #expect(v2.version == 2)
        for category in v1.departments.flatMap(\.categories) {
            #expect(v2.category(category.id) != nil, "\(category.id) is missing from v2")
        }
        #expect(v2.openCategories.count == v1.departments.flatMap(\.categories).count + 6 - 1)
    }

    @Test("the retired manhole category names its successor, and moving a ticket to it is refused")
    func retiredCategory() throws {
        let v2 = try BundledCatalog.load()
        let retired = try #require(v2.category(try CategoryID("fen-isleri.rogar-kapagi")))
        #expect(retired.category.replacedBy?.rawValue == "su-kanalizasyon.rogar-kapagi")
        #expect(!v2.openCategories.contains { $0.id.rawValue == "fen-isleri.rogar-kapagi" })
        #expect(
            throws: TicketError.invalid(
                DomainInputError(
                    field: "category",
                    reason:
                        "'fen-isleri.rogar-kapagi' was retired in catalog version 2; file the request under 'su-kanalizasyon.rogar-kapagi' instead"
                ))
        ) {
            try v2.resolve(department: try DepartmentID("fen-isleri"), category: try CategoryID("fen-isleri.rogar-kapagi"))
        }
        let (_, first) = try v2.resolve(department: try DepartmentID("fen-isleri"), category: nil)
        #expect(!first.isRetired)
    }

    @Test(
        "the five new Zabıta categories are in v2",
        arguments: ["isyeri-gurultu", "olcu-tarti", "gida-hijyen", "pazar-yeri", "insaat-duzeni"])
    func newZabitaCategories(slug: String) throws {
        let found = try #require(BundledCatalog.load().category(try CategoryID("zabita." + slug)))
        #expect(found.department.id.rawValue == "zabita")
    }
}
