import DefterImages
import Foundation
import Testing

/// The fixtures are drawn by `tools/photos/make_fixtures.py` (no third-party pictures) and carry
/// EXIF with a GPS position and a camera serial, XMP, a Photoshop block, comments and text chunks.
private func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return Array(try Data(contentsOf: url))
}

/// Strings that only the metadata holds.
private let metadataMarkers = ["Exif\0\0", "SERIAL-12345", "DefterCam", "xpacket", "GPSLatitude", "Photoshop", "Ornek Sokak", "tIME"]

private func contains(_ bytes: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard needle.count <= bytes.count else { return false }
    return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
}

@Suite struct PhotoCleanerTests {
    @Test(arguments: [("gps.jpg", ImageType.jpeg), ("gps.png", .png), ("gps.webp", .webp)])
    func strippedPhotoKeepsNoMetadataAndItsSize(name: String, type: ImageType) throws {
        let original = try fixture(name)
        #expect(metadataMarkers.contains { contains(original, $0) })
        let photo = try PhotoCleaner.clean(original, claimed: type)
        #expect(photo.type == type)
        #expect(photo.width == 48 && photo.height == 32)
        for marker in metadataMarkers { #expect(!contains(photo.bytes, marker), "\(marker) survived in \(name)") }
        #expect(photo.bytes.count < original.count)
        #expect(!photo.removed.isEmpty)
        try dump(photo, as: name)
    }

    @Test func jpegLosesEXIFXMPPhotoshopAndCommentButKeepsJFIF() throws {
        let photo = try PhotoCleaner.clean(try fixture("gps.jpg"), claimed: .jpeg)
        #expect(Set(photo.removed) == ["APP1", "APP13", "COM"])
        #expect(photo.removed.filter { $0 == "APP1" }.count == 2, "both the EXIF and the XMP APP1")
        #expect(contains(photo.bytes, "JFIF\0"))
        #expect(photo.bytes.starts(with: [0xFF, 0xD8]) && photo.bytes.suffix(2) == [0xFF, 0xD9])
    }

    @Test func pngLosesTextExifAndTime() throws {
        let photo = try PhotoCleaner.clean(try fixture("gps.png"), claimed: .png)
        #expect(Set(photo.removed) == ["tEXt", "zTXt", "iTXt", "eXIf", "tIME"])
    }

    @Test func webpLosesExifAndXMPAndItsFlagsAndSizeAreRewritten() throws {
        let photo = try PhotoCleaner.clean(try fixture("gps.webp"), claimed: .webp)
        #expect(Set(photo.removed) == ["EXIF", "XMP"])
        let bytes = photo.bytes
        let riffSize = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        #expect(riffSize == bytes.count - 8)
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "VP8X")
        #expect(bytes[20] & 0x0C == 0, "the EXIF and XMP flags are cleared")
    }

    @Test(arguments: ["gps.jpg", "gps.png", "gps.webp", "plain.png", "lossless.webp"])
    func cleaningIsIdempotent(name: String) throws {
        let once = try PhotoCleaner.clean(try fixture(name), claimed: nil)
        let twice = try PhotoCleaner.clean(once.bytes, claimed: once.type)
        #expect(twice.bytes == once.bytes)
        #expect(twice.removed.isEmpty)
    }

    @Test func losslessWebPReportsItsSize() throws {
        let photo = try PhotoCleaner.clean(try fixture("lossless.webp"), claimed: .webp)
        #expect(photo.width == 20 && photo.height == 10)
    }

    @Test func aPNGClaimingToBeAJPEGIsRefusedInTurkishFirst() throws {
        let error = #expect(throws: ImageError.self) { try PhotoCleaner.clean(try fixture("plain.png"), claimed: .jpeg) }
        #expect(error == .notClaimedType(claimed: .jpeg, actual: .png))
        #expect(error?.description.hasPrefix("Bu dosya bir JPEG değil (PNG) / this file is not a JPEG") == true)
    }

    @Test func textClaimingToBeAnImageIsRefused() {
        #expect(throws: ImageError.notClaimedType(claimed: .png, actual: nil)) {
            try PhotoCleaner.clean(Array("<html>not a picture</html>".utf8), claimed: .png)
        }
        #expect(throws: ImageError.unsupported("?")) { try PhotoCleaner.clean(Array("GIF89a......".utf8), claimed: nil) }
        #expect(throws: ImageError.empty) { try PhotoCleaner.clean([], claimed: nil) }
    }

    @Test func aFileOverTenMegabytesIsRefusedBeforeItIsRead() {
        let big = [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: PhotoCleaner.maximumBytes)
        let error = #expect(throws: ImageError.self) { try PhotoCleaner.clean(big, claimed: .jpeg) }
        #expect(error == .tooLarge(bytes: big.count, limit: PhotoCleaner.maximumBytes))
        #expect(error?.description.hasPrefix("Fotoğraf çok büyük (10,0 MB; sınır 10,0 MB)") == true)
    }

    @Test(arguments: ["gps.jpg", "gps.png", "gps.webp"])
    func aTruncatedFileIsRefused(name: String) throws {
        let original = try fixture(name)
        for cut in [original.count / 2, original.count - 3, 20] {
            #expect(throws: ImageError.self, "cut at \(cut)") {
                try PhotoCleaner.clean(Array(original.prefix(cut)), claimed: nil)
            }
        }
    }

    @Test func aPNGWithAFlippedBitFailsItsCRC() throws {
        var bytes = try fixture("plain.png")
        bytes[bytes.count - 20] ^= 0x01
        let error = #expect(throws: ImageError.self) { try PhotoCleaner.clean(bytes, claimed: .png) }
        #expect(error?.description.contains("CRC") == true)
    }

    @Test func aJPEGWithoutAFrameIsRefused() {
        #expect(throws: ImageError.self) { try PhotoCleaner.clean([0xFF, 0xD8, 0xFF, 0xD9], claimed: .jpeg) }
        #expect(throws: ImageError.self) { try PhotoCleaner.clean([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9], claimed: .jpeg) }
    }

    @Test func typesAreReadFromMediaTypesAndFileNames() {
        #expect(ImageType(mediaType: "image/JPEG; charset=binary") == .jpeg)
        #expect(ImageType(mediaType: "image/gif") == nil)
        #expect(ImageType(fileName: "çukur.JPG") == .jpeg)
        #expect(ImageType(fileName: "after.webp") == .webp)
        #expect(ImageType(fileName: "png") == nil)
    }

    /// With `DEFTER_STRIPPED_DIR` set (by `tools/photos/check_stripped.sh`), writes the stripped
    /// photos there so that Pillow can check that they still decode to the same pixels.
    private func dump(_ photo: CleanPhoto, as name: String) throws {
        guard let folder = ProcessInfo.processInfo.environment["DEFTER_STRIPPED_DIR"] else { return }
        try Data(photo.bytes).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
    }
}
