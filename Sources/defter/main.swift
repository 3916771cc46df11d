import CJemalloc
import DefterCLI
import Glibc

// The process allocates through jemalloc (linked in by Package.swift; see the note there):
// naming it here keeps a linker that drops unused libraries from dropping it.
_ = defter_jemalloc_version()

// glibc's `localtime`, which the log lines' timestamps use, opens and reads /etc/localtime again
// on every call while TZ is unset (one request, one log line, four system calls). Naming the same
// file in TZ lets it read the zone once; a TZ the operator set is left as it is.
setenv("TZ", ":/etc/localtime", 0)

await Defter.runAndExit()
