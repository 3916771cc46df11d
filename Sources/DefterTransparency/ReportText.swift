import DefterDomain
import Foundation

/// The languages a report is written in.
public enum ReportLanguage: String, Sendable, CaseIterable {
    case en, tr
}

/// The words and number formats of one report language. Numbers are formatted here, not by the
/// system locale, so that the same report is the same bytes on every machine.
struct ReportText {
    let language: ReportLanguage
    init(_ language: ReportLanguage) { self.language = language }

    private func pick(_ en: String, _ tr: String) -> String { language == .en ? en : tr }

    /// The note on imported records: how many of the period's calls came from which system, when.
    func importedNote(_ share: AccountabilityReport.ImportedShare, of calls: Int) -> String {
        let when: String
        if let from = share.importedFrom, let to = share.importedTo {
            when = from == to ? pick(" on \(from)", " \(from) tarihinde") : pick(" from \(from) to \(to)", " \(from) ile \(to) arasında")
        } else {
            when = ""
        }
        return pick(
            "\(count(share.calls)) of the \(count(calls)) calls of this period were imported from \(share.system)\(when); their times are as that system recorded them, not witnessed by this log.",
            "Bu dönemin \(count(calls)) çağrısından \(count(share.calls)) tanesi\(when) \(share.system) sisteminden aktarıldı; zamanları o sistemin kaydettiği gibidir, bu defterin tanıklığı değildir."
        )
    }

    var title: String { pick("ALO 153 accountability report", "ALO 153 hesap verebilirlik raporu") }
    var periodLabel: String { pick("Period", "Dönem") }
    var callsReceivedBetween: String { pick("Calls received from", "Çağrı tarihleri") }
    var through: String { pick("through", "ile") }
    var throughSuffix: String { pick("", " arası") }
    var headline: String { pick("Headline figures", "Temel göstergeler") }
    var calls: String { pick("Calls answered", "Yanıtlanan çağrı") }
    var ticketsOpened: String { pick("Tickets opened", "Açılan başvuru") }
    var resolved: String { pick("Resolved", "Çözülen") }
    var withinStandard: String { pick("Resolved within the service standard", "Hizmet standardı süresinde çözülen") }
    var firstContact: String { pick("Closed at first contact", "İlk temasta sonuçlanan") }
    var medianResolve: String { pick("Median time to resolve", "Çözüm süresi (medyan)") }
    var p90Resolve: String { pick("90th percentile time to resolve", "Çözüm süresi (%90 dilim)") }
    var byDepartment: String { pick("By department", "Daire başkanlıklarına göre") }
    var byCategory: String { pick("By category", "Konulara göre") }
    var monthly: String { pick("Calls by month", "Aylara göre çağrılar") }
    var hourly: String { pick("Calls by hour of the day", "Günün saatine göre çağrılar") }
    var channels: String { pick("Channels", "Başvuru kanalları") }
    var districts: String { pick("Districts", "İlçeler") }
    var routing: String { pick("Routing", "Yönlendirme") }
    var triaged: String { pick("Sent to triage (the router was not sure)", "Ön incelemeye gönderilen (yönlendirici emin değildi)") }
    var overrides: String { pick("Routing overridden by an operator", "Operatörün düzelttiği yönlendirme") }
    var referrals: String { pick("Referrals between departments", "Daireler arası sevk") }
    var satisfaction: String { pick("Satisfaction", "Memnuniyet") }
    var satisfactionAverage: String { pick("Average satisfaction (1 to 5)", "Ortalama memnuniyet (1-5)") }
    var responses: String { pick("responses", "yanıt") }
    var checkpoint: String { pick("The log checkpoint this report was computed at", "Raporun hesaplandığı kayıt kontrol noktası") }
    var treeSize: String { pick("Entries covered", "Kapsanan kayıt") }
    var root: String { pick("Merkle root", "Merkle kökü") }
    var origin: String { pick("Log", "Kayıt") }
    var signedNote: String { pick("Signed checkpoint", "İmzalı kontrol noktası") }
    var witnesses: String { pick("Cosigned by witnesses", "Tanık kurumların ortak imzası") }
    var noWitnesses: String { pick("none: no witness cosigned this checkpoint", "yok: bu kontrol noktasını hiçbir tanık imzalamadı") }
    var howToVerify: String { pick("How to verify this report", "Bu rapor nasıl doğrulanır") }
    var name: String { pick("Name", "Ad") }
    var value: String { pick("Value", "Değer") }
    var volume: String { pick("Calls", "Çağrı") }
    var opened: String { pick("Opened", "Açılan") }
    var withinStandardShort: String { pick("Within standard", "Standart içinde") }
    var medianHours: String { pick("Median hours", "Medyan (saat)") }
    var reopenRate: String { pick("Reopened", "Yeniden açılan") }
    var referralsShort: String { pick("Referrals", "Sevk") }
    var share: String { pick("Share", "Pay") }
    var noData: String { "–" }

    func hours(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return noData }
        return decimal(Double(milliseconds) / 3_600_000, places: 1) + pick(" h", " sa")
    }

    func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(language == .en ? "," : ".") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    func decimal(_ value: Double, places: Int) -> String {
        let text = String(format: "%.\(places)f", value)
        guard let dot = text.firstIndex(of: ".") else { return count(Int(text) ?? 0) }
        let whole = count(Int(text[..<dot]) ?? 0)
        return whole + (language == .en ? "." : ",") + text[text.index(after: dot)...]
    }

    func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return noData }
        let value = decimal(Double(part) * 100 / Double(whole), places: 1)
        return language == .en ? value + "%" : "%" + value
    }

    func month(_ key: String) -> String {
        let names =
            language == .en
            ? ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
            : ["Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"]
        guard key.count == 7, let number = Int(key.suffix(2)), (1...12).contains(number) else { return key }
        return "\(names[number - 1]) \(key.prefix(4))"
    }

    func shortMonth(_ key: String) -> String {
        String(month(key).prefix(3))
    }

    func channel(_ key: String) -> String {
        switch (key, language) {
        case ("phone", .en): "Phone"
        case ("phone", .tr): "Telefon"
        case ("web", _): "Web"
        case ("mobile-app", .en): "Mobile app"
        case ("mobile-app", .tr): "Mobil uygulama"
        case ("whatsapp", _): "WhatsApp"
        case ("email", .en): "Email"
        case ("email", .tr): "E-posta"
        case ("walk-in", .en): "Walk-in"
        case ("walk-in", .tr): "Yüz yüze"
        default: key
        }
    }

    /// A department's or category's name from the catalog, in the report's language.
    func name(department key: String, catalog: Catalog?) -> String {
        if let department = try? DepartmentID(key), let found = catalog?.department(department) {
            return language == .en ? found.gloss : found.name
        }
        return special(key)
    }

    func name(category key: String, catalog: Catalog?) -> String {
        if let category = try? CategoryID(key), let found = catalog?.category(category) {
            return language == .en ? found.category.gloss : found.category.name
        }
        return special(key)
    }

    private func special(_ key: String) -> String {
        switch key {
        case "(triage)": pick("Still in triage", "Hâlâ ön incelemede")
        case "(information)": pick("Information given during the call", "Çağrıda bilgi verildi")
        case "(none)": pick("No category", "Konu yok")
        default: key
        }
    }

    func emptyReason(_ reason: AccountabilityReport.EmptyReason, period: ReportPeriod) -> String {
        switch reason {
        case .noCalls:
            pick(
                "No call was received in \(period.label): every figure is zero.",
                "\(period.label) döneminde hiç çağrı alınmadı: tüm değerler sıfır.")
        case .beyondLog(let last?):
            pick(
                "The period \(period.label) starts after the last call the log holds (\(last)): there is no data for it yet.",
                "\(period.label) dönemi kayıttaki son çağrıdan (\(last)) sonra başlıyor: bu dönem için henüz veri yok.")
        case .beyondLog(nil):
            pick("The log holds no call at all yet.", "Kayıtta henüz hiç çağrı yok.")
        }
    }

    /// The steps a reader follows to recompute the headline figures, in order.
    func verificationSteps(label: String, treeSize: UInt64) -> [String] {
        language == .en
            ? [
                "Get the log: a copy of the data folder, or an export (`defter log export --format ndjson --out log.ndjson`), and the city's published checkpoint key (`checkpoint.vkey`).",
                "Check the checkpoint below: its signature must verify with that key, and the Merkle root (RFC 9162) of the first \(treeSize) entries must equal its root. Every later checkpoint must be consistent with it, so nothing counted here was rewritten afterwards.",
                "Recompute the figures from those \(treeSize) entries alone: the tickets whose CallReceived falls in \(label) (days in Europe/Istanbul), with the definitions in Schemas/report-format.md.",
                "Or let the independent tool do all of it (Python 3 and py-lmdb only, no Defter code): `python3 tools/verify_report.py report.html --export log.ndjson --vkey checkpoint.vkey`. It prints each figure beside its recomputed value and exits 0 only if all match.",
            ]
            : [
                "Kaydı edinin: veri klasörünün bir kopyası ya da dışa aktarımı (`defter log export --format ndjson --out log.ndjson`) ve belediyenin yayımladığı kontrol noktası anahtarı (`checkpoint.vkey`).",
                "Aşağıdaki kontrol noktasını doğrulayın: imzası bu anahtarla doğrulanmalı, ilk \(treeSize) kaydın Merkle kökü (RFC 9162) kontrol noktasındaki köke eşit olmalı. Sonraki her kontrol noktası bununla tutarlı olmalı; böylece burada sayılan hiçbir kaydın sonradan değiştirilmediği kanıtlanır.",
                "Göstergeleri yalnızca bu \(treeSize) kayıttan yeniden hesaplayın: CallReceived tarihi \(label) dönemine düşen başvurular (günler Europe/Istanbul saatine göre), tanımlar Schemas/report-format.md belgesinde.",
                "Ya da hepsini bağımsız araca yaptırın (yalnızca Python 3 ve py-lmdb, Defter kodu gerekmez): `python3 tools/verify_report.py report.html --export log.ndjson --vkey checkpoint.vkey`. Her göstergeyi yeniden hesaplanan değerle yan yana yazar; yalnızca hepsi tutarsa 0 ile çıkar.",
            ]
    }
}
