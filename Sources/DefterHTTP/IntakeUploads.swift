import DefterImages
import DefterLog
import DefterTickets
import HTTPTypes
import Hummingbird
import NIOCore

/// Intake with photos: `POST /v1/calls` and Open311 `POST /requests` also take
/// `multipart/form-data`, the form an app or a browser sends files with.
extension DefterAPI {
    /// The most photos one call may carry.
    static let maximumIntakePhotos = 3
    /// The largest multipart intake body: its photos and the rest of the form.
    static let maximumIntakeBytes = maximumIntakePhotos * maximumPhotoBytes + maximumBodyBytes

    /// The request's `multipart/form-data` body, parsed; at most `maximumIntakeBytes`.
    func multipartForm(_ request: Request) async throws -> MultipartForm {
        let boundary: String
        do { boundary = try MultipartForm.boundary(of: request.headers[.contentType] ?? "") } catch {
            throw APIError(status: .badRequest, code: "bad_multipart", message: error.description)
        }
        var request = request
        let tooLarge = APIError(
            status: .contentTooLarge, code: "too_large",
            message:
                "Gönderi çok büyük: en çok \(Self.maximumIntakePhotos) fotoğraf, her biri en çok \(Self.maximumPhotoBytes / 1024 / 1024) MB / "
                + "the upload is too large: at most \(Self.maximumIntakePhotos) photos of at most \(Self.maximumPhotoBytes / 1024 / 1024) MB each"
        )
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Self.maximumIntakeBytes) } catch { throw tooLarge }
        guard buffer.readableBytes <= Self.maximumIntakeBytes else { throw tooLarge }
        do { return try MultipartForm(Array(buffer.readableBytesView), boundary: boundary) } catch {
            throw APIError(status: .badRequest, code: "bad_multipart", message: error.description)
        }
    }

    /// The photos among `parts`: each must say it is a JPEG, PNG or WebP by its `Content-Type` or
    /// its file name, or say neither (`application/octet-stream`), and is then recognised by its
    /// bytes. Whether the bytes are what they claim is checked at intake, before anything is written.
    static func photoUploads(_ parts: [MultipartForm.Part]) throws -> [PhotoUpload] {
        guard parts.count <= maximumIntakePhotos else {
            throw APIError(
                status: .badRequest, code: "too_many_photos",
                message:
                    "Bir başvuruya en çok \(maximumIntakePhotos) fotoğraf eklenebilir (\(parts.count) gönderildi) / "
                    + "a call takes at most \(maximumIntakePhotos) photos; \(parts.count) were sent")
        }
        return try parts.map { part in
            guard part.body.count <= maximumPhotoBytes else { throw ImageError.tooLarge(bytes: part.body.count, limit: maximumPhotoBytes) }
            let declared = part.contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if let declared, declared != "application/octet-stream" {
                guard let type = ImageType(mediaType: declared) else { throw ImageError.unsupported(String(declared.prefix(100))) }
                return PhotoUpload(bytes: part.body, claimed: type)
            }
            return PhotoUpload(bytes: part.body, claimed: part.filename.flatMap(ImageType.init(fileName:)))
        }
    }

    /// A `POST /v1/calls` body as a call, its photos, and (with `fingerprinted`, for
    /// `Idempotency-Key`) the fingerprint of both: JSON alone, or a multipart form whose part
    /// `call` is that JSON and whose parts `photo` are the photos.
    func callUpload(_ request: Request, _ context: DefterRequestContext, fingerprinted: Bool) async throws -> (
        call: CallRequest, photos: [PhotoUpload], fingerprint: [UInt8]
    ) {
        guard MultipartForm.isMultipart(request.headers[.contentType]) else {
            let bytes = try await body(request, context)
            let call = try await decodeCall(bytes)
            return (call, [], fingerprinted ? Self.fingerprint([try JSONValue(parsing: bytes).canonicalBytes]) : [])
        }
        let form = try await multipartForm(request)
        if let stray = form.parts.first(where: { $0.name != "call" && $0.name != "photo" }) {
            throw APIError(
                status: .badRequest, code: "bad_multipart",
                message:
                    "unknown part '\(stray.name.prefix(100))': send the call as the part 'call' (JSON) and each photo as a part 'photo'")
        }
        let calls = form.parts(named: "call")
        guard calls.count == 1, let call = calls.first else {
            throw APIError(
                status: .badRequest, code: "bad_multipart",
                message: "send exactly one part 'call' holding the call as JSON (\(calls.count) were sent)")
        }
        guard call.body.count <= Self.maximumBodyBytes else {
            throw APIError(
                status: .contentTooLarge, code: "too_large", message: "the part 'call' is larger than \(Self.maximumBodyBytes) bytes")
        }
        let photos = try Self.photoUploads(form.parts(named: "photo"))
        let decoded = try await decodeCall(call.body)
        guard fingerprinted else { return (decoded, photos, []) }
        return (decoded, photos, Self.fingerprint([try JSONValue(parsing: call.body).canonicalBytes] + photos.map(\.bytes)))
    }
}
