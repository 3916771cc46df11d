/// JPEG: a sequence of marker segments, entropy-coded scans after each SOS, and EOI. Keeps what
/// decoding needs (frame, tables, scans, restart intervals), the JFIF APP0 and the Adobe APP14
/// (which says how colours are transformed); drops every other APPn (EXIF and XMP in APP1, ICC
/// in APP2, Photoshop in APP13, ...), COM, and anything after EOI.
enum JPEGCleaner {
    static func clean(_ bytes: [UInt8]) throws(ImageError) -> CleanPhoto {
        func damaged(_ reason: String) -> ImageError { .damaged(.jpeg, reason) }
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(bytes.count)
        var removed: [String] = []
        var size: (width: Int, height: Int)?
        var index = 2
        var sawEnd = false
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw damaged("expected a marker at byte \(index)") }
            while index < bytes.count, bytes[index] == 0xFF { index += 1 }
            guard index < bytes.count else { break }
            let marker = bytes[index]
            let start = index - 1
            index += 1
            switch marker {
            case 0xD9:
                throw damaged("the image ends before any picture data")
            case 0xD8, 0xD0...0xD7, 0x00:
                throw damaged(String(format2: marker) + " is out of place at byte \(start)")
            case 0x01:
                continue
            default:
                break
            }
            guard index + 2 <= bytes.count else { throw damaged("truncated in a segment header") }
            let length = bytes.be16(index)
            guard length >= 2, index + length <= bytes.count else { throw damaged("a segment runs past the end of the file") }
            let segment = bytes[start..<(index + length)]
            let payload = Array(bytes[(index + 2)..<(index + length)])
            index += length
            switch marker {
            case 0xE0:
                if payload.starts(with: Array("JFIF\0".utf8)) || payload.starts(with: Array("JFXX\0".utf8)) {
                    out += segment
                } else {
                    removed.append("APP0")
                }
            case 0xEE:
                if payload.starts(with: Array("Adobe".utf8)) { out += segment } else { removed.append("APP14") }
            case 0xE1...0xEF:
                removed.append("APP\(marker - 0xE0)")
            case 0xFE:
                removed.append("COM")
            case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                guard payload.count >= 6 else { throw damaged("the frame header is too short") }
                guard size == nil else { throw damaged("two frame headers") }
                size = (payload.be16(3), payload.be16(1))
                out += segment
            case 0xDA:
                guard size != nil else { throw damaged("picture data before the frame header") }
                out += segment
                // Entropy-coded data: up to the next marker that is not a stuffed byte or a restart.
                let scanStart = index
                var position = index
                var next: Int?
                while position + 1 < bytes.count {
                    if bytes[position] == 0xFF {
                        let following = bytes[position + 1]
                        if following == 0x00 || (0xD0...0xD7).contains(following) || following == 0xFF {
                            position += following == 0xFF ? 1 : 2
                            continue
                        }
                        next = position
                        break
                    }
                    position += 1
                }
                guard let next else { throw damaged("truncated: the picture data has no end marker") }
                out += bytes[scanStart..<next]
                index = next
                if bytes[next + 1] == 0xD9 {
                    out += [0xFF, 0xD9]
                    sawEnd = true
                }
            default:
                // DQT, DHT, DAC, DRI, DNL, EXP and the JPEG extensions decoding may need.
                out += segment
            }
            if sawEnd { break }
        }
        guard sawEnd, let size else { throw damaged("truncated: no end-of-image marker") }
        return CleanPhoto(type: .jpeg, bytes: out, width: size.width, height: size.height, removed: removed)
    }
}

extension String {
    fileprivate init(format2 marker: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = "marker FF" + String(digits[Int(marker >> 4)]) + String(digits[Int(marker & 0xF)])
    }
}
