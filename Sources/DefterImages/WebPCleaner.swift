/// WebP: a RIFF container (`RIFF`, size, `WEBP`) of chunks (FourCC, size, data, padded to even).
/// Keeps the picture (`VP8 `, `VP8L`, `ALPH`, animation frames) and its colour profile; drops
/// `EXIF`, `XMP ` and unknown chunks, then clears the VP8X flags that announced them and
/// rewrites the RIFF size.
enum WebPCleaner {
    static let kept: Set<String> = ["VP8X", "VP8 ", "VP8L", "ALPH", "ANIM", "ANMF", "ICCP"]

    static func clean(_ bytes: [UInt8]) throws(ImageError) -> CleanPhoto {
        func damaged(_ reason: String) -> ImageError { .damaged(.webp, reason) }
        let declared = Int(bytes.le32(4))
        guard declared >= 4, declared % 2 == 0, declared + 8 <= bytes.count else {
            throw damaged("the RIFF size (\(declared)) does not match the file (\(bytes.count) bytes)")
        }
        let end = declared + 8
        var chunks: [UInt8] = []
        var removed: [String] = []
        var extendedAt: Int?
        var size: (width: Int, height: Int)?
        var sawPicture = false
        var index = 12
        while index < end {
            guard index + 8 <= end else { throw damaged("truncated in a chunk header") }
            let fourCC = String(decoding: bytes[index..<(index + 4)], as: UTF8.self)
            let length = Int(bytes.le32(index + 4))
            let padded = length + length % 2
            guard padded <= end - index - 8 else { throw damaged("chunk \(fourCC) runs past the end of the file") }
            let data = Array(bytes[(index + 8)..<(index + 8 + length)])
            switch fourCC {
            case "VP8X":
                guard index == 12, length >= 10 else { throw damaged("misplaced or short VP8X chunk") }
                extendedAt = chunks.count
                size = (data.le24(4) + 1, data.le24(7) + 1)
            case "VP8 ":
                guard length >= 10, data[3] == 0x9D, data[4] == 0x01, data[5] == 0x2A else { throw damaged("bad VP8 frame header") }
                if size == nil { size = (data.le16(6) & 0x3FFF, data.le16(8) & 0x3FFF) }
                sawPicture = true
            case "VP8L":
                guard length >= 5, data[0] == 0x2F else { throw damaged("bad VP8L header") }
                let bits = data.le32(1)
                if size == nil { size = (Int(bits & 0x3FFF) + 1, Int((bits >> 14) & 0x3FFF) + 1) }
                sawPicture = true
            case "ANMF":
                sawPicture = true
            default:
                break
            }
            if kept.contains(fourCC) {
                chunks += bytes[index..<(index + 8 + padded)]
            } else {
                removed.append(fourCC.trimmingSuffixSpaces())
            }
            index += 8 + padded
        }
        guard sawPicture, let size else { throw damaged("no picture data") }
        if let extendedAt {
            // Flags: ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02.
            chunks[extendedAt + 8] &= ~UInt8(0x0C)
        }
        let riffSize = UInt32(4 + chunks.count)
        var out = Array("RIFF".utf8)
        out += [UInt8(riffSize & 0xFF), UInt8(riffSize >> 8 & 0xFF), UInt8(riffSize >> 16 & 0xFF), UInt8(riffSize >> 24)]
        out += Array("WEBP".utf8)
        out += chunks
        return CleanPhoto(type: .webp, bytes: out, width: size.width, height: size.height, removed: removed)
    }
}

extension String {
    fileprivate func trimmingSuffixSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
