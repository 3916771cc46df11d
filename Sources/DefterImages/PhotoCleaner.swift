/// A photo that passed the checks, with every metadata block removed: what Defter stores.
public struct CleanPhoto: Sendable, Equatable {
    /// The format the bytes are (and claimed to be).
    public let type: ImageType
    /// The image without EXIF, GPS, XMP, comments or text chunks.
    public let bytes: [UInt8]
    /// The picture's size in pixels, from its header.
    public let width: Int
    public let height: Int
    /// The names of the metadata blocks removed (`APP1`, `COM`, `tEXt`, `EXIF`, ...), for logs and tests.
    public let removed: [String]
}

/// Checks that a file is the JPEG, PNG or WebP image it claims to be and strips its metadata:
/// EXIF (with GPS and camera serials), XMP, Photoshop blocks, comments and text chunks. Pure
/// Swift over bytes: the structure is checked (segments, chunk lengths and CRCs, end markers),
/// the pixels are not decoded, and the image data is copied unchanged.
public enum PhotoCleaner {
    /// The largest photo accepted: 10 MiB.
    public static let maximumBytes = 10 * 1024 * 1024
    /// The largest side accepted, in pixels (beyond any phone camera; refuses decompression bombs).
    public static let maximumSide = 20_000

    /// Checks and cleans `bytes`, which claim to be `claimed` (from `Content-Type` or the file's
    /// extension; nil when the sender said nothing, then the bytes decide).
    public static func clean(_ bytes: [UInt8], claimed: ImageType?) throws(ImageError) -> CleanPhoto {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maximumBytes else { throw .tooLarge(bytes: bytes.count, limit: maximumBytes) }
        let actual = ImageType(sniffing: bytes)
        if let claimed, claimed != actual { throw .notClaimedType(claimed: claimed, actual: actual) }
        guard let type = actual else { throw .unsupported("?") }
        let photo: CleanPhoto
        switch type {
        case .jpeg: photo = try JPEGCleaner.clean(bytes)
        case .png: photo = try PNGCleaner.clean(bytes)
        case .webp: photo = try WebPCleaner.clean(bytes)
        }
        guard photo.width > 0, photo.height > 0, photo.width <= maximumSide, photo.height <= maximumSide else {
            throw .badDimensions(type, width: photo.width, height: photo.height)
        }
        return photo
    }
}

extension Array where Element == UInt8 {
    func be16(_ at: Int) -> Int { Int(self[at]) << 8 | Int(self[at + 1]) }
    func be32(_ at: Int) -> UInt32 {
        UInt32(self[at]) << 24 | UInt32(self[at + 1]) << 16 | UInt32(self[at + 2]) << 8 | UInt32(self[at + 3])
    }
    func le16(_ at: Int) -> Int { Int(self[at]) | Int(self[at + 1]) << 8 }
    func le24(_ at: Int) -> Int { Int(self[at]) | Int(self[at + 1]) << 8 | Int(self[at + 2]) << 16 }
    func le32(_ at: Int) -> UInt32 {
        UInt32(self[at]) | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2]) << 16 | UInt32(self[at + 3]) << 24
    }
}
