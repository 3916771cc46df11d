/// PNG: the signature, then chunks (length, type, data, CRC-32) from IHDR to IEND. Every CRC is
/// checked. Keeps the critical chunks and the ancillary ones that only say how to show the
/// pixels (palette, transparency, colour space, physical size, animation); drops the rest:
/// text (`tEXt`, `zTXt`, `iTXt`, where XMP lives), `eXIf`, `tIME` and any private chunk.
enum PNGCleaner {
    static let kept: Set<String> = [
        "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCv", "cLLI", "bKGD",
        "hIST", "pHYs", "sPLT", "acTL", "fcTL", "fdAT",
    ]

    static func clean(_ bytes: [UInt8]) throws(ImageError) -> CleanPhoto {
        func damaged(_ reason: String) -> ImageError { .damaged(.png, reason) }
        var out = Array(bytes[0..<8])
        out.reserveCapacity(bytes.count)
        var removed: [String] = []
        var size: (width: Int, height: Int)?
        var sawData = false
        var index = 8
        while true {
            guard index + 12 <= bytes.count else { throw damaged("truncated: no IEND chunk") }
            let length = Int(bytes.be32(index))
            guard length <= bytes.count - index - 12 else { throw damaged("a chunk runs past the end of the file") }
            let typeBytes = Array(bytes[(index + 4)..<(index + 8)])
            guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw damaged("a chunk has no valid type at byte \(index)")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            let end = index + 12 + length
            let stored = bytes.be32(end - 4)
            guard CRC32.checksum(bytes[(index + 4)..<(end - 4)]) == stored else { throw damaged("chunk \(type) fails its CRC") }
            if size == nil {
                guard type == "IHDR", length == 13 else { throw damaged("the first chunk is not IHDR") }
                size = (Int(bytes.be32(index + 8)), Int(bytes.be32(index + 12)))
            }
            if type == "IDAT" { sawData = true }
            let critical = typeBytes[0] & 0x20 == 0
            if kept.contains(type) {
                out += bytes[index..<end]
            } else if critical {
                throw damaged("unknown critical chunk \(type)")
            } else {
                removed.append(type)
            }
            index = end
            if type == "IEND" { break }
        }
        guard sawData, let size else { throw damaged("no picture data (IDAT)") }
        return CleanPhoto(type: .png, bytes: out, width: size.width, height: size.height, removed: removed)
    }
}

/// CRC-32 (ISO 3309, as PNG uses it).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { value in
        var crc = UInt32(value)
        for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
