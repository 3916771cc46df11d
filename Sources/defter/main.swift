import CJemalloc
import DefterCLI

// The process allocates through jemalloc (linked in by Package.swift; see the note there):
// naming it here keeps a linker that drops unused libraries from dropping it.
_ = defter_jemalloc_version()

await Defter.runAndExit()
