// Everything in this module is header-only (static inline); this file exists
// because SwiftPM needs one source file per C target.
#include "CTributarySupport.h"
