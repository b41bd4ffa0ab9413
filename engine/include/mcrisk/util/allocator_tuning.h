#pragma once
// How the process's allocator should treat the engine's large, short-lived
// buffers (stored first trials, sketch batches, ranking workspaces: 0.5-2 MiB
// each, allocated and freed at every run and summary).

namespace mcrisk::util {

//! Asks glibc's malloc to serve blocks up to 32 MiB from its heaps and to keep
//! up to 256 MiB of freed memory for reuse, instead of mapping every block over
//! 128 KiB afresh and returning it when freed: on a VM a page fault costs
//! microseconds, and refaulting those buffers was a tenth of a short run.
//! The cost: after large frees a process can stay resident at up to 256 MiB
//! more than it uses (per malloc arena: worker threads have their own).
//! Call once at the start of main(); a no-op where the allocator is not glibc's.
void tune_allocator_for_large_buffers();

}  // namespace mcrisk::util
