//! What the command-line tools of dailypapers (the `dailypapers` binary and its benchmarks in
//! `dp-bench`) share.
//!
//! * [`progress`]: an indicatif bar on a terminal, plain log lines every few seconds otherwise.
//! * [`release_free_memory`]: hands memory that is free again back to the kernel.

pub mod progress;

/// Hands memory that is free again back to the kernel. Building the search indexes allocates
/// far more, for a while, than serving needs (batches of papers and vectors), and mimalloc (the
/// binary's allocator) keeps freed pages for reuse; on the main thread this also collects the
/// memory of threads that have ended (the index builders').
pub fn release_free_memory() {
    // SAFETY: mi_collect takes no pointers; it only walks mimalloc's own heaps.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
