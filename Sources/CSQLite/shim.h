#ifndef DEFTER_CSQLITE_SHIM_H
#define DEFTER_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
