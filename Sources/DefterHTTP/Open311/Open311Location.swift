import DefterDomain

/// Places a GeoReport v2 location in one of the city's districts, which is what a Defter ticket
/// records publicly (the exact address and coordinates are sealed as personal data).
enum DistrictLocator {
    /// Each district's seat (ilçe merkezi), WGS 84 degrees, rounded to 0.01.
    static let seats: [(district: String, latitude: Double, longitude: Double)] = [
        ("Dulkadiroğlu", 37.57, 36.96), ("Onikişubat", 37.60, 36.90), ("Afşin", 38.25, 36.91), ("Andırın", 37.58, 36.35),
        ("Çağlayancerit", 37.75, 37.29), ("Ekinözü", 38.06, 37.19), ("Elbistan", 38.21, 37.20), ("Göksun", 38.02, 36.50),
        ("Nurhak", 37.96, 37.44), ("Pazarcık", 37.49, 37.29), ("Türkoğlu", 37.38, 36.85),
    ]

    /// The province's bounding box, with a little margin: points outside are not the city's.
    static let latitudes = 37.15...38.70
    static let longitudes = 36.15...37.95

    /// The district a text names (case and Turkish letters ignored), e.g. "Elbistan" in
    /// "Kümbet Mah. 12. Sk. No 4, Elbistan".
    static func district(named text: String) -> String? {
        let folded = fold(text)
        return foldedDistricts.first { folded.contains($0.folded) }?.name
    }

    /// The district whose seat is nearest to the point: an approximation near district borders,
    /// used only when no district is named.
    static func district(latitude: Double, longitude: Double) -> String? {
        guard latitudes.contains(latitude), longitudes.contains(longitude) else { return nil }
        return seats.min { a, b in
            distance(a.latitude, a.longitude, latitude, longitude) < distance(b.latitude, b.longitude, latitude, longitude)
        }?.district
    }

    /// A flat-earth distance, fine at a province's scale for comparing.
    static func distance(_ lat1: Double, _ long1: Double, _ lat2: Double, _ long2: Double) -> Double {
        let dx = (long1 - long2) * 0.79  // cos(37.8°)
        let dy = lat1 - lat2
        return dx * dx + dy * dy
    }

    /// The districts, each with its folded name, folded once rather than for every request.
    private static let foldedDistricts = Geography.districts.map { (name: $0, folded: fold($0)) }

    private static let turkishLetters: [Character: Character] = [
        "ç": "c", "Ç": "c", "ğ": "g", "Ğ": "g", "ı": "i", "I": "i", "İ": "i", "ö": "o", "Ö": "o", "ş": "s", "Ş": "s", "ü": "u",
        "Ü": "u", "â": "a", "î": "i", "û": "u",
    ]

    /// Lowercase ASCII letters only, with Turkish letters mapped to their base letters.
    static func fold(_ text: String) -> String {
        String(text.map { turkishLetters[$0] ?? $0 }).lowercased()
    }
}
