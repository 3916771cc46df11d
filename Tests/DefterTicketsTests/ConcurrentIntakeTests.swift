import DefterDomain
import DefterLog
import DefterTickets
import Foundation
import Testing

@Suite struct ConcurrentIntakeTests {
    @Test("2,000 calls at once get tickets 1 to 2,000, no gap, no duplicate, each caller's key durable and its own")
    func gapFreeUnderConcurrency() async throws {
        try await withService { service, log, _ in
            let count = 2000
            let results = try await withThrowingTaskGroup(of: (Int, IntakeResult).self) { group in
                for n in 1...count {
                    group.addTask {
                        // Every caller is new (a distinct phone), so every call creates a key.
                        let phone = String(format: "0532%07d", n)
                        let caller = PersonalData(phone: phone, text: "Sokağımızdaki çöp konteyneri taştı, çöpler toplanmadı.")
                        return (n, try await service.receiveCall(SampleCalls.garbage(n, caller: caller)))
                    }
                }
                var all: [(Int, IntakeResult)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let numbers = results.map { Int($0.1.ticket.rawValue.suffix(6))! }.sorted()
            #expect(numbers == Array(1...count))
            #expect(results.allSatisfy { !$0.1.duplicate })
            // Retrying any call answers its first ticket.
            for (n, result) in results.prefix(20) {
                let caller = PersonalData(
                    phone: String(format: "0532%07d", n), text: "Sokağımızdaki çöp konteyneri taştı, çöpler toplanmadı.")
                let again = try await service.receiveCall(SampleCalls.garbage(n, caller: caller))
                #expect(again.ticket == result.ticket)
                #expect(again.duplicate)
            }
            // Each ticket's sealed data opens with its citizen's key, and says its own phone.
            for (n, result) in results.prefix(50) {
                let data = try await service.personalData(of: result.ticket)
                #expect(data?.phone == "+90532" + String(format: "%07d", n))
            }
            #expect(try log.version(of: StreamID("ticket-numbers-2025")) == UInt64(count))
        }
    }
}
