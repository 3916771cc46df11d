#ifndef DEFTER_CLMDB_SHIM_H
#define DEFTER_CLMDB_SHIM_H
#include <lmdb.h>
#endif
