import DefterLog
import Testing

@Suite struct JSONObjectReaderTests {
    let text =
        #"{"alternatives":[{"c":0.25},{"c":1}],"count":-12,"flag":true,"gone":null,"inner":{"name":"Dulkadiroğlu"},"name":"Elbistan","ratio":0.5,"tags":["a","ç\n"],"t\u0061b":"escaped key"}"#

    func reader(_ text: String) throws -> JSONObjectReader { try JSONObjectReader(Array(text.utf8)) }

    @Test("reads each member by name, with the types JSONValue would give them")
    func readsMembers() throws {
        let object = try reader(text)
        #expect(try object.string("name") == "Elbistan")
        #expect(try object.integer("count") == -12)
        #expect(try object.number("count") == -12)
        #expect(try object.number("ratio") == 0.5)
        #expect(try object.bool("flag") == true)
        #expect(try object.strings("tags") == ["a", "ç\n"])
        #expect(try object.object("inner")?.string("name") == "Dulkadiroğlu")
        #expect(try object.objects("alternatives")?.map { try $0.number("c") } == [0.25, 1])
        #expect(try object.string("tab") == "escaped key", "keys are compared with their escapes undone")
        #expect(object.keys == ["alternatives", "count", "flag", "gone", "inner", "name", "ratio", "tags", "tab"])
    }

    @Test("an absent or null member reads as nil, whatever type is asked for")
    func absentAndNull() throws {
        let object = try reader(text)
        for key in ["gone", "missing"] {
            #expect(try object.string(key) == nil)
            #expect(try object.integer(key) == nil)
            #expect(try object.bool(key) == nil)
            #expect(try object.object(key) == nil)
            #expect(try object.strings(key) == nil)
        }
    }

    @Test("a member of another type is refused, naming it")
    func wrongTypes() throws {
        let object = try reader(text)
        let attempts: [(String, () throws -> Void)] = [
            ("name", { _ = try object.integer("name") }),
            ("ratio", { _ = try object.integer("ratio") }),
            ("count", { _ = try object.string("count") }),
            ("flag", { _ = try object.number("flag") }),
            ("inner", { _ = try object.strings("inner") }),
            ("tags", { _ = try object.objects("tags") }),
            ("name", { _ = try object.bool("name") }),
        ]
        for (member, attempt) in attempts {
            #expect {
                try attempt()
            } throws: { error in
                "\(error)".contains("member \"\(member)\"")
            }
        }
    }

    @Test("an object inside larger bytes is read in its range, which it must fill exactly")
    func readsInARange() throws {
        let bytes = Array(#"{"outer":{"name":"Göksun","n":1},"after":2}"#.utf8)
        let start = 9
        let end = start + #"{"name":"Göksun","n":1}"#.utf8.count
        let inner = try JSONObjectReader(bytes, in: start..<end)
        #expect(try inner.string("name") == "Göksun")
        #expect(try inner.integer("n") == 1)
        #expect(try inner.integer("after") == nil, "members after the range are not the object's")
        #expect(throws: JSONParseError.self) { try JSONObjectReader(bytes, in: start..<(end + 1)) }
        #expect(throws: JSONParseError.self) { try JSONObjectReader(bytes, in: (start + 1)..<end) }
    }

    @Test("malformed objects are refused when opened; malformed values when read")
    func malformed() throws {
        for bad in [
            #"["not an object"]"#, #"{"a":1"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{"a":1} x"#, #"{a:1}"#, #"{"n":01}"#,
            #"{"i":99999999999999999999}"#,
        ] {
            #expect(throws: JSONParseError.self, "\(bad)") { try reader(bad) }
        }
        // Strings, objects and arrays are only skimmed when the object is opened.
        let object = try reader(#"{"s":"\ud800","o":{"x":01},"a":["x",1]}"#)
        #expect(throws: JSONParseError.self) { try object.string("s") }
        #expect(throws: JSONParseError.self) { try object.object("o") }
        #expect(throws: JSONParseError.self) { try object.strings("a") }
    }
}
