/// Why a file was refused as a photo. Each message is Turkish first (citizens and clerks read it),
/// then English, and says what to do.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is larger than the limit.
    case tooLarge(bytes: Int, limit: Int)
    /// The file is empty.
    case empty
    /// The declared type (or the file's own bytes) is not JPEG, PNG or WebP.
    case unsupported(String)
    /// The bytes are not the type the file claims (by `Content-Type` or extension).
    case notClaimedType(claimed: ImageType, actual: ImageType?)
    /// The file starts like its type but is truncated or damaged.
    case damaged(ImageType, String)
    /// The picture's declared size is zero or beyond any camera's.
    case badDimensions(ImageType, width: Int, height: Int)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            "Fotoğraf çok büyük (\(megabytes(bytes)) MB; sınır \(megabytes(limit)) MB), küçültüp yeniden gönderin / "
                + "the photo is too large (\(megabytes(bytes)) MB; the limit is \(megabytes(limit)) MB): resize it and send it again"
        case .empty:
            "Dosya boş / the file is empty"
        case .unsupported(let what):
            "Yalnızca JPEG, PNG ya da WebP fotoğraf kabul edilir ('\(what)' değil) / "
                + "only JPEG, PNG or WebP photos are accepted, not '\(what)'"
        case .notClaimedType(let claimed, let actual):
            "Bu dosya bir \(claimed.name) değil\(actual.map { " (\($0.name))" } ?? "") / this file is not a \(claimed.name)"
                + (actual.map { " (it is a \($0.name)); send it with its real type" } ?? "")
        case .damaged(let type, let reason):
            "Bu \(type.name) dosyası bozuk ya da eksik / this \(type.name) file is damaged or truncated: \(reason)"
        case .badDimensions(let type, let width, let height):
            "Bu \(type.name) görüntüsünün boyutları geçersiz (\(width)×\(height)) / "
                + "this \(type.name) image has impossible dimensions (\(width)×\(height))"
        }
    }

    private func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + 1024 * 1024 / 2) / (1024 * 1024)
        return "\(tenths / 10),\(tenths % 10)"
    }
}
