#ifndef TRIBUTARY_CROCKSDB_SHIM_H
#define TRIBUTARY_CROCKSDB_SHIM_H
#include <rocksdb/c.h>
#endif
