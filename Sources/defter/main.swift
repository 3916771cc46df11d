import DefterCLI

await Defter.runAndExit()
