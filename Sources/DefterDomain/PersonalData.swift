public import Foundation

/// A caller's personal data and free text, in plaintext, as intake receives it. It never reaches
/// the log like this: intake validates it, then seals it under the citizen's key.
public struct PersonalData: Codable, Sendable, Equatable {
    public var name: String?
    /// Normalised to `+90XXXXXXXXXX`.
    public var phone: String?
    /// A T.C. kimlik numarası with a valid checksum.
    public var nationalId: String?
    /// Street, building and door: the exact address.
    public var address: String?
    /// An e-mail address to answer to (Open311 intake carries one).
    public var email: String?
    /// Latitude and longitude, when the app sent them.
    public var coordinates: Coordinates?
    /// A link to the caller's own photo or video elsewhere (Open311 `media_url`): kept as they
    /// gave it, sealed like the rest, and never fetched by the server.
    public var mediaURL: String?
    /// What the caller said.
    public var text: String

    /// A position in WGS 84 degrees.
    public struct Coordinates: Codable, Sendable, Equatable {
        public var latitude: Double
        public var longitude: Double

        /// Creates a position.
        public init(latitude: Double, longitude: Double) {
            self.latitude = latitude
            self.longitude = longitude
        }
    }

    /// The longest free text accepted, in characters.
    public static let maximumTextLength = 4000
    /// The longest media link accepted, in characters.
    public static let maximumMediaURLLength = 2000

    /// Creates personal data; call `validated()` before sealing it.
    public init(
        name: String? = nil, phone: String? = nil, nationalId: String? = nil, address: String? = nil, email: String? = nil,
        coordinates: Coordinates? = nil, mediaURL: String? = nil, text: String
    ) {
        self.mediaURL = mediaURL
        self.name = name
        self.phone = phone
        self.nationalId = nationalId
        self.address = address
        self.email = email
        self.coordinates = coordinates
        self.text = text
    }

    /// The names of the fields that hold something (recorded beside the ciphertext).
    public var presentFields: [String] {
        var fields: [String] = []
        if name != nil { fields.append("name") }
        if phone != nil { fields.append("phone") }
        if nationalId != nil { fields.append("nationalId") }
        if address != nil { fields.append("address") }
        if email != nil { fields.append("email") }
        if coordinates != nil { fields.append("coordinates") }
        if mediaURL != nil { fields.append("mediaURL") }
        fields.append("text")
        return fields
    }

    /// Checks every field and normalises the phone number; throws naming the first bad field.
    public func validated() throws(DomainInputError) -> PersonalData {
        var copy = self
        let trimmed = text.trimmingWhiteSpace()
        guard !trimmed.isEmpty else {
            throw DomainInputError(field: "text", reason: "the description is empty; write what the caller asked for")
        }
        guard trimmed.count <= Self.maximumTextLength else {
            throw DomainInputError(
                field: "text", reason: "the description is \(trimmed.count) characters long; the limit is \(Self.maximumTextLength)")
        }
        copy.text = trimmed
        if let name {
            let cleaned = name.trimmingWhiteSpace()
            guard !cleaned.isEmpty, cleaned.count <= 200 else {
                throw DomainInputError(field: "name", reason: "must be 1 to 200 characters")
            }
            copy.name = cleaned
        }
        if let phone { copy.phone = try TurkishPhoneNumber.normalise(phone) }
        if let nationalId { copy.nationalId = try TurkishNationalID.validate(nationalId) }
        if let address {
            let cleaned = address.trimmingWhiteSpace()
            guard !cleaned.isEmpty, cleaned.count <= 500 else {
                throw DomainInputError(field: "address", reason: "must be 1 to 500 characters")
            }
            copy.address = cleaned
        }
        if let email {
            let cleaned = email.trimmingWhiteSpace()
            let parts = cleaned.split(separator: "@", omittingEmptySubsequences: false)
            guard cleaned.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
                !cleaned.contains(where: \.isWhitespace)
            else {
                throw DomainInputError(field: "email", reason: "is not an e-mail address like ad@example.com")
            }
            copy.email = cleaned
        }
        if let coordinates {
            guard (-90...90).contains(coordinates.latitude), (-180...180).contains(coordinates.longitude) else {
                throw DomainInputError(field: "coordinates", reason: "latitude must be -90 to 90 and longitude -180 to 180")
            }
        }
        if let mediaURL { copy.mediaURL = try Self.validatedMediaURL(mediaURL) }
        return copy
    }

    /// An absolute `http` or `https` link with a host, of at most `maximumMediaURLLength` characters.
    public static func validatedMediaURL(_ text: String) throws(DomainInputError) -> String {
        let cleaned = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let lowered = cleaned.lowercased()
        let scheme = lowered.hasPrefix("https://") ? "https://" : lowered.hasPrefix("http://") ? "http://" : nil
        guard let scheme, cleaned.count <= Self.maximumMediaURLLength, !cleaned.contains(where: { $0.isWhitespace || $0.isNewline }),
            let host = cleaned.dropFirst(scheme.count).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first,
            !host.isEmpty
        else {
            throw DomainInputError(
                field: "mediaURL",
                reason:
                    "must be an http or https link of at most \(Self.maximumMediaURLLength) characters, e.g. https://example.org/photo.jpg")
        }
        return cleaned
    }
}

/// The T.C. kimlik numarası: 11 digits, not starting with 0, with two check digits.
public enum TurkishNationalID {
    /// Returns the number when it is valid, else throws saying why.
    public static func validate(_ text: String) throws(DomainInputError) -> String {
        let digits = text.filter { !$0.isWhitespace }
        guard digits.count == 11, digits.allSatisfy(\.isASCIIDigitCharacter) else {
            throw DomainInputError(field: "nationalId", reason: "a T.C. kimlik number has exactly 11 digits")
        }
        let d = digits.map { Int(String($0))! }
        guard d[0] != 0 else { throw DomainInputError(field: "nationalId", reason: "a T.C. kimlik number cannot start with 0") }
        let odd = d[0] + d[2] + d[4] + d[6] + d[8]
        let even = d[1] + d[3] + d[5] + d[7]
        let tenth = ((odd * 7 - even) % 10 + 10) % 10
        let eleventh = (d[0..<10].reduce(0, +)) % 10
        guard d[9] == tenth, d[10] == eleventh else {
            throw DomainInputError(field: "nationalId", reason: "the check digits do not match; the number was mistyped")
        }
        return digits
    }
}

/// Turkish phone numbers, normalised to `+90` and ten digits.
public enum TurkishPhoneNumber {
    /// Accepts `0532 123 45 67`, `532-123-4567`, `+90 (532) 123 45 67`, `0090...`; returns
    /// `+905321234567`.
    public static func normalise(_ text: String) throws(DomainInputError) -> String {
        var digits = text.filter(\.isASCIIDigitCharacter)
        let allowed = text.allSatisfy { $0.isASCIIDigitCharacter || " -()+.".contains($0) }
        guard allowed else { throw DomainInputError(field: "phone", reason: "'\(text)' has characters a phone number cannot have") }
        if digits.hasPrefix("0090") {
            digits.removeFirst(4)
        } else if digits.hasPrefix("90") && digits.count == 12 {
            digits.removeFirst(2)
        } else if digits.hasPrefix("0") {
            digits.removeFirst()
        }
        guard digits.count == 10, let first = digits.first, first != "0", first != "1" else {
            throw DomainInputError(
                field: "phone", reason: "'\(text)' is not a Turkish phone number (10 digits after 0 or +90, e.g. 0532 123 45 67)")
        }
        return "+90" + digits
    }
}

/// The districts of the city the line serves.
public enum Geography {
    /// The eleven districts (ilçe) of Kahramanmaraş.
    public static let districts = [
        "Dulkadiroğlu", "Onikişubat", "Afşin", "Andırın", "Çağlayancerit", "Ekinözü", "Elbistan", "Göksun", "Nurhak",
        "Pazarcık", "Türkoğlu",
    ]

    /// Checks that the location names a known district.
    static func validate(_ location: Location) throws(TicketError) {
        guard !location.district.isEmpty else {
            throw .invalid(DomainInputError(field: "location.district", reason: "is required; one of \(districts.joined(separator: ", "))"))
        }
        guard districts.contains(location.district) else {
            throw .invalid(
                DomainInputError(
                    field: "location.district",
                    reason: "'\(location.district)' is not a district of the city; one of \(districts.joined(separator: ", "))"))
        }
        if let neighbourhood = location.neighbourhood, neighbourhood.isEmpty || neighbourhood.count > 100 {
            throw .invalid(DomainInputError(field: "location.neighbourhood", reason: "must be 1 to 100 characters"))
        }
    }
}

extension Calendar {
    /// The Gregorian calendar in Europe/Istanbul, where the city's days and years begin and end.
    public static let istanbul: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Istanbul")!
        return calendar
    }()
}
