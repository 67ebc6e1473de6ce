#ifndef TRIBUTARY_CNATS_SHIM_H
#define TRIBUTARY_CNATS_SHIM_H
#include <nats/nats.h>
#endif
