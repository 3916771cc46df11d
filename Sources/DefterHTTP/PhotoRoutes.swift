import DefterDomain
import DefterImages
import DefterLog
import DefterTickets
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension DefterAPI {
    /// The largest photo upload: the image limit, and only on the photo route (JSON routes keep
    /// `maximumBodyBytes`).
    static let maximumPhotoBytes = PhotoCleaner.maximumBytes

    /// Photos of a ticket: upload (raw image body, `Content-Type` its type), list, and read.
    /// Reading a photo's bytes is a personal-data access and is recorded as `PersonalDataAccessed`.
    func registerPhotos(on router: Router<DefterRequestContext>, _ recorder: RouteRecorder) {
        recorder.post(router, "/v1/tickets/{id}/photos") { request, context in
            await respond(status: .created) {
                let role = try authorize(
                    request,
                    { role in
                        if case .department = role { return true }
                        return role == .operatorRole || role == .admin
                    })
                let id = try ticketID(context)
                let photoRole =
                    try request.uri.queryParameters.get("role").map { text in
                        guard let parsed = PhotoRole(rawValue: text) else {
                            throw APIError(status: .badRequest, code: "bad_parameter", message: "role must be citizen or after")
                        }
                        return parsed
                    } ?? .citizen
                var acting: DepartmentID?
                if case .department(let own) = role {
                    acting = own
                    guard try await service.ticket(id)?.department == own else { throw forbiddenOrMissing(id) }
                } else if photoRole == .after {
                    throw APIError(status: .forbidden, code: "forbidden", message: "only the owning department attaches the after photo")
                }
                guard let contentType = request.headers[.contentType], let claimed = ImageType(mediaType: contentType) else {
                    throw APIError(
                        status: .unsupportedMediaType, code: "unsupported_type",
                        message:
                            "Yalnızca JPEG, PNG ya da WebP / send the photo as the body with Content-Type image/jpeg, image/png or image/webp"
                    )
                }
                let bytes = try await photoBody(request)
                let actor = ActorID(unchecked: role.description.replacingOccurrences(of: ":", with: "."))
                let attached: PhotoAttached
                do {
                    attached = try await service.attachPhoto(
                        bytes, claimed: claimed, role: photoRole, to: id, actingDepartment: acting, by: actor)
                } catch let error as PhotoStoreError where error.code == .storageFull {
                    throw APIError(status: .serviceUnavailable, code: "storage_full", message: error.message)
                }
                return photoJSON(attached, ticket: id)
            }
        }
        recorder.get(router, "/v1/tickets/{id}/photos") { request, context in
            await respond {
                let role = try authorizePhotoReader(request)
                let id = try ticketID(context)
                try await requireOwner(role, id)
                return [
                    "ticket": .string(id.rawValue), "photos": .array(try await service.photos(of: id).map { photoJSON($0, ticket: id) }),
                ]
            }
        }
        recorder.get(router, "/v1/tickets/{id}/photos/{sha256}") { request, context in
            do {
                let role = try authorizePhotoReader(request)
                let id = try ticketID(context)
                try await requireOwner(role, id)
                let sha = context.parameters.get("sha256") ?? ""
                let reason: String =
                    request.uri.queryParameters.get("reason").map { "\($0)" } ?? "fotoğrafa bakmak / viewing photo \(sha.prefix(12))"
                let actor = ActorID(unchecked: role.description.replacingOccurrences(of: ":", with: "."))
                guard let photo = try await service.readPhoto(of: id, sha256: sha, by: actor, reason: reason) else {
                    throw APIError(status: .notFound, code: "not_found", message: "ticket \(id) has no photo \(sha), or it was erased")
                }
                return Self.imageResponse(photo.bytes, mediaType: photo.mediaType)
            } catch {
                return errorResponse(error)
            }
        }
    }

    /// An image answer that a browser shows but never sniffs, caches or stores.
    static func imageResponse(_ bytes: [UInt8], mediaType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = mediaType
        headers[.cacheControl] = "private, no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.contentDisposition] = "inline"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func authorizePhotoReader(_ request: Request) throws -> Role {
        try authorize(
            request,
            { role in
                if case .department = role { return true }
                return role == .operatorRole
            })
    }

    private func requireOwner(_ role: Role, _ id: TicketID) async throws {
        guard let ticket = try await service.ticket(id) else {
            throw APIError(status: .notFound, code: "not_found", message: "ticket \(id) does not exist")
        }
        if case .department(let own) = role, ticket.department != own {
            throw APIError(status: .forbidden, code: "forbidden", message: "ticket \(id) belongs to another department")
        }
    }

    private func forbiddenOrMissing(_ id: TicketID) -> APIError {
        APIError(status: .forbidden, code: "forbidden", message: "ticket \(id) does not exist or belongs to another department")
    }

    /// The upload, at most `maximumPhotoBytes`; larger bodies are refused before they are stored.
    private func photoBody(_ request: Request) async throws -> [UInt8] {
        var request = request
        let tooLarge = APIError(
            status: .contentTooLarge, code: "too_large",
            message: ImageError.tooLarge(bytes: Self.maximumPhotoBytes + 1, limit: Self.maximumPhotoBytes).description)
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.maximumPhotoBytes) } catch { throw tooLarge }
        guard buffer.readableBytes <= Self.maximumPhotoBytes else { throw tooLarge }
        return Array(buffer.readableBytesView)
    }

    func photoJSON(_ photo: PhotoAttached, ticket: TicketID) -> JSONValue {
        var object: [String: JSONValue] = [
            "sha256": .string(photo.sha256), "role": .string(photo.role.rawValue), "mediaType": .string(photo.mediaType),
            "bytes": .integer(Int64(photo.bytes)), "at": .string(TicketEventCodec.format(photo.at)), "by": .string(photo.by.rawValue),
            "url": .string("/v1/tickets/\(ticket.rawValue)/photos/\(photo.sha256)"),
        ]
        object["width"] = photo.width.map { .integer(Int64($0)) } ?? .null
        object["height"] = photo.height.map { .integer(Int64($0)) } ?? .null
        return .object(object)
    }
}
