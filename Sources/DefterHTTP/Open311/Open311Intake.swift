import DefterDomain
import DefterLog
import DefterTickets
import Foundation
import Hummingbird

/// `POST /open311/v2/requests`: a GeoReport v2 request becomes a call through the same intake as
/// `POST /v1/calls`, with the submitter's name, contact, address and coordinates sealed as the
/// caller's personal data.
extension DefterAPI {
    /// The fields a submission may carry. `device_id` and `account_id` are accepted and not kept
    /// (Defter records no device or account identifiers); `media_url` is kept sealed with the
    /// caller's personal data, as a link the server never fetches. A photo itself comes as the
    /// file part `media` of a `multipart/form-data` submission.
    static let open311Fields: Set<String> = [
        "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email", "device_id", "account_id",
        "first_name", "last_name", "phone", "description", "media_url", "attribute[\(Open311Records.neighbourhoodAttribute)]",
    ]

    func submitOpen311(_ request: Request, _ context: DefterRequestContext) async throws -> Open311Document {
        let type = request.headers[.contentType] ?? ""
        let key = try IdempotencyKey.of(request)
        let form: FormBody
        var photos: [PhotoUpload] = []
        if MultipartForm.isMultipart(type) {
            let multipart = try await multipartForm(request)
            form = try FormBody(multipart.parts.filter { $0.name != "media" })
            photos = try Self.photoUploads(multipart.parts(named: "media"))
        } else if type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            form = try FormBody(try await body(request, context, allowEmpty: true))
        } else {
            throw Open311Error.badRequest(
                "send the request as application/x-www-form-urlencoded, or as multipart/form-data with a photo as the file part 'media'")
        }
        guard let apiKey = form["api_key"] else {
            throw Open311Error.forbidden("api_key is required: a Defter token of role open311 (defter tokens issue --role open311)")
        }
        guard let (role, client) = try tokens.lookup(apiKey), role == .open311 || role == .operatorRole else {
            throw Open311Error.forbidden("the api_key is not valid for submitting requests")
        }
        try jurisdiction(form["jurisdiction_id"])
        var call = try callRequest(form, actor: role.description)
        if let key {
            // The fields without the api_key (a client may rotate it between retries), then the photos.
            let fields = form.fields.filter { $0.key != "api_key" }.sorted { $0.key < $1.key }.flatMap {
                [Array($0.key.utf8), Array($0.value.utf8)]
            }
            do {
                call.callId = try tokens.claimIdempotencyKey(
                    key, client: client, fingerprint: Self.fingerprint(fields + photos.map(\.bytes)), callId: call.callId)
            } catch let error as IdempotencyKeyReused {
                throw Open311Error(status: .unprocessableContent, descriptions: [Self.keyReused(error).message])
            }
        }
        let result = try await intake { try await service.receiveCall(call, photos: photos) }
        let destination = result.destination.flatMap { catalog.department($0)?.name }
        let standard = call.category.flatMap { try? CategoryID($0) }.flatMap { catalog.category($0)?.category.standardHours }
        let notice =
            destination.map { "Talebiniz \($0) birimine iletildi; hizmet standardı \(standard ?? 0) saat." }
            ?? "Talebiniz ALO 153 operatörlerince yönlendirilecek."
        let record = Open311Node.record([
            ("service_request_id", .text(result.ticket.rawValue)), ("service_notice", .text(notice)), ("account_id", .text(nil)),
        ])
        return Open311Document(root: "service_requests", node: .list(item: "request", [record]))
    }

    /// Maps the form onto a call, collecting every problem it finds before refusing it.
    func callRequest(_ form: FormBody, actor: String) throws -> CallRequest {
        var problems: [String] = []
        for name in form.fields.keys.sorted() where !Self.open311Fields.contains(name) {
            problems.append(
                name.hasPrefix("attribute[")
                    ? "\(name.prefix(100)) is not an attribute of any service; the only one is attribute[neighbourhood]"
                    : "unknown parameter '\(name.prefix(100))'")
        }
        var code: String?
        if let given = form["service_code"] {
            code = try service(given).id.rawValue
        } else {
            problems.append("service_code is required")
        }
        let description = form["description"]?.trimmingWhiteSpace() ?? ""
        if description.isEmpty {
            problems.append("description is required: what should the city do, and where?")
        } else if description.count > PersonalData.maximumTextLength {
            problems.append("description is \(description.count) characters long; the limit is \(PersonalData.maximumTextLength)")
        }
        var coordinates: PersonalData.Coordinates?
        switch (form["lat"], form["long"]) {
        case (nil, nil): break
        case (let lat?, let long?):
            if let latitude = Double(lat), let longitude = Double(long), (-90...90).contains(latitude), (-180...180).contains(longitude) {
                coordinates = PersonalData.Coordinates(latitude: latitude, longitude: longitude)
            } else {
                problems.append("lat and long must be WGS 84 degrees, e.g. lat=37.5753&long=36.9228")
            }
        default: problems.append("lat and long go together")
        }
        if let link = form["media_url"], (try? PersonalData.validatedMediaURL(link)) == nil {
            problems.append(
                "media_url must be an http or https link, e.g. https://example.org/photo.jpg; the server keeps it and never fetches it")
        }
        let district =
            form["address_string"].flatMap(DistrictLocator.district(named:)) ?? form["address_id"].flatMap(DistrictLocator.district(named:))
            ?? coordinates.flatMap { DistrictLocator.district(latitude: $0.latitude, longitude: $0.longitude) }
        if district == nil {
            if coordinates != nil {
                problems.append("the point lat/long is not in Kahramanmaraş")
            } else if form["address_string"] != nil || form["address_id"] != nil {
                problems.append(
                    "the address must name a district of Kahramanmaraş (\(Geography.districts.joined(separator: ", "))), or send lat and long"
                )
            } else {
                problems.append("a location is required: lat and long, address_string or address_id")
            }
        }
        guard problems.isEmpty, let code, let district else { throw Open311Error(status: .badRequest, descriptions: problems) }
        let name = [form["first_name"], form["last_name"]].compactMap { $0 }.joined(separator: " ")
        let caller = PersonalData(
            name: name.isEmpty ? nil : name, phone: form["phone"], address: form["address_string"], email: form["email"],
            coordinates: coordinates, mediaURL: form["media_url"], text: description)
        return CallRequest(
            callId: "open311-" + RandomUUID.make(), channel: .web, operatorId: actor, district: district,
            neighbourhood: form["attribute[\(Open311Records.neighbourhoodAttribute)]"], caller: caller, category: code)
    }
}
