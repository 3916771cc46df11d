import Foundation
import Testing

@testable import DefterImport

@Suite struct SourceReadingTests {
    func write(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("defter-import-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("CSV: quoted fields keep delimiters, doubled quotes and line breaks; each record knows the line it starts on")
    func quotedFields() throws {
        let text = "id;text;when\r\n1;\"a; b\";x\r\n2;\"she said \"\"fix it\"\"\nthen left\";y\r\n\r\n3;plain;z\n\n"
        let url = try write(Array(text.utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try CSVReader(url: url, delimiter: UInt8(ascii: ";"), encoding: .utf8)
        #expect(reader.header == ["id", "text", "when"])
        var records: [(Int, [String])] = []
        while let record = try reader.next() {
            #expect(record.problem == nil)
            records.append((record.line, record.fields))
        }
        #expect(records.map(\.0) == [2, 3, 6])
        #expect(records[0].1 == ["1", "a; b", "x"])
        #expect(records[1].1 == ["2", "she said \"fix it\"\nthen left", "y"])
        #expect(records[2].1 == ["3", "plain", "z"])
    }

    @Test("CSV: a UTF-8 byte-order mark is not part of the first column's name")
    func byteOrderMark() throws {
        let url = try write([0xEF, 0xBB, 0xBF] + Array("Başvuru No,Konu\n7,Çöp\n".utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try CSVReader(url: url, delimiter: UInt8(ascii: ","), encoding: .utf8)
        #expect(reader.header == ["Başvuru No", "Konu"])
        #expect(try reader.next()?.fields == ["7", "Çöp"])
    }

    @Test("Windows-1254: the six Turkish letters that differ from Latin-1 decode right")
    func windows1254() throws {
        // "Ğğİı Şş çö" in Windows-1254.
        let bytes: [UInt8] = [0xD0, 0xF0, 0xDD, 0xFD, 0x20, 0xDE, 0xFE, 0x20, 0xE7, 0xF6]
        #expect(SourceEncoding.windows1254.decode(bytes[...]) == "Ğğİı Şş çö")
        #expect(SourceEncoding.utf8.decode(bytes[...]) == nil)
    }

    @Test("CSV: a record that is not valid UTF-8 is reported by line, and the next records are still read")
    func invalidRecordDoesNotStopReading() throws {
        let url = try write(Array("a,b\n1,ok\n".utf8) + [0x32, 0x2C, 0xFD, 0x0A] + Array("3,fine\n".utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try CSVReader(url: url, delimiter: UInt8(ascii: ","), encoding: .utf8)
        #expect(try reader.next()?.problem == nil)
        let bad = try #require(try reader.next())
        #expect(bad.line == 3)
        #expect(bad.problem?.contains("windows-1254") == true)
        #expect(try reader.next()?.fields == ["3", "fine"])
    }

    @Test("CSV: a quote never closed is reported at the line its record starts on")
    func unclosedQuote() throws {
        let url = try write(Array("a,b\n1,\"open\n2,x\n".utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try CSVReader(url: url, delimiter: UInt8(ascii: ","), encoding: .utf8)
        let record = try #require(try reader.next())
        #expect(record.line == 2)
        #expect(record.problem?.contains("never closed") == true)
        #expect(try reader.next() == nil)
    }

    @Test("JSON: an Open311 requests.json array and NDJSON give the same records, nested members by path")
    func jsonRecords() throws {
        let array = try write(
            Array(#"[{"service_request_id":"1","lat":41.5,"x":{"y":"z"}},{"service_request_id":"2","status":"open"}]"#.utf8))
        let lines = try write(
            Array(
                "{\"service_request_id\":\"1\",\"lat\":41.5,\"x\":{\"y\":\"z\"}}\n\n{\"service_request_id\":\"2\",\"status\":\"open\"}\n"
                    .utf8))
        defer {
            try? FileManager.default.removeItem(at: array)
            try? FileManager.default.removeItem(at: lines)
        }
        for url in [array, lines] {
            let reader = try JSONRecordReader(url: url)
            let first = try #require(try reader.next())
            #expect(first.values == ["service_request_id": "1", "lat": "41.5", "x.y": "z"])
            #expect(try reader.next()?.values == ["service_request_id": "2", "status": "open"])
            #expect(try reader.next() == nil)
        }
    }

    @Test("time formats: Turkish day-first, US 12-hour with AM/PM, and RFC 3339, read in the mapping's zone")
    func timeFormats() throws {
        let istanbul = TimeZone(identifier: "Europe/Istanbul")!
        let newYork = TimeZone(identifier: "America/New_York")!
        let turkish = try TimeFormat("dd.MM.yyyy HH:mm")
        #expect(turkish.parse("05.03.2024 14:30", in: istanbul) == Date(timeIntervalSince1970: 1_709_638_200))
        #expect(turkish.parse("5.3.2024 14:30", in: istanbul) == Date(timeIntervalSince1970: 1_709_638_200))
        #expect(turkish.parse("31.02.2024 14:30", in: istanbul) == nil)
        #expect(turkish.parse("05.03.2024", in: istanbul) == nil)
        let us = try TimeFormat("MM/dd/yyyy hh:mm:ss a")
        // 2023-07-04 12:05:00 AM EDT is 04:05 UTC; 01:30 PM in January (EST) is 18:30 UTC.
        #expect(us.parse("07/04/2023 12:05:00 AM", in: newYork) == Date(timeIntervalSince1970: 1_688_443_500))
        #expect(us.parse("01/15/2023 01:30:00 PM", in: newYork) == Date(timeIntervalSince1970: 1_673_807_400))
        let iso = try TimeFormat("iso8601")
        #expect(iso.parse("2024-03-05T11:30:00Z", in: newYork) == Date(timeIntervalSince1970: 1_709_638_200))
        #expect(iso.parse("2024-03-05T14:30:00+03:00", in: newYork) == Date(timeIntervalSince1970: 1_709_638_200))
        #expect(iso.parse("2024-03-05 14:30:00.250", in: istanbul) == Date(timeIntervalSince1970: 1_709_638_200.25))
        #expect(throws: ImportError.self) { try TimeFormat("dd.MM.yyyy HH:mm zz") }
    }

    @Test("every mapped field has its own place in a row's lookup table")
    func fieldPositions() {
        #expect(ImportMapping.Field.allCases.map(\.position) == Array(0..<ImportMapping.Field.allCases.count))
    }
}
