#ifndef TRIBUTARY_SUPPORT_H
#define TRIBUTARY_SUPPORT_H

/// Hints the CPU to load the cache line at `address` for reading soon.
/// Has no effect on program semantics.
static inline void tributary_prefetch(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

#endif
