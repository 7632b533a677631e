//! Huge pages for memory the process has already filled: the vector graph.
//!
//! An HNSW search jumps between nodes spread over gigabytes (a 3,000,000-paper int8 graph holds
//! about 2.6 GB), so each step misses the TLB as well as the cache. Backed by 2 MB pages the
//! same walks ran about 30% faster (3M papers: a 4096-wide search p50 20.4 against 29.7 ms,
//! `bench search --scale`). Linux backs anonymous memory with huge pages only where a program
//! asks (`transparent_hugepage` set to `madvise`, the usual default), and usearch maps its
//! graph itself, so after the graph is built or loaded [`collapse_resident`] asks the kernel
//! to move every fully resident 2 MB stretch of the process's large anonymous mappings into
//! huge pages (`MADV_COLLAPSE`, Linux 6.1+). Only stretches whose pages are all resident
//! already: a huge page never makes memory resident that was not (an allocator's reserved but
//! untouched space stays untouched).

/// What [`collapse_resident`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Collapsed {
    /// Bytes in fully resident 2 MB stretches of large anonymous mappings (asked to collapse).
    pub asked: usize,
    /// Of those, bytes the kernel moved into huge pages (or already held in them).
    pub collapsed: usize,
}

/// The size of a huge page on x86-64 and most arm64 kernels.
pub const HUGE: usize = 2 << 20;

/// Anonymous mappings smaller than this are left alone (the graph's arenas are larger).
pub const MIN_MAPPING: usize = 64 << 20;

/// Moves every fully resident, 2 MB-aligned stretch of the process's private anonymous
/// mappings of at least `min_mapping` bytes into huge pages. Best effort: on another OS, with
/// huge pages off (`never`) or an older kernel, nothing changes and `collapsed` is 0.
pub fn collapse_resident(min_mapping: usize) -> Collapsed {
    #[cfg(target_os = "linux")]
    {
        linux::collapse_resident(min_mapping)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = min_mapping;
        Collapsed::default()
    }
}

/// The private anonymous read-write mappings in a `/proc/PID/maps` text, as `(start, end)`.
pub fn anonymous_mappings(maps: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            let mut parts = line.split_ascii_whitespace();
            let range = parts.next()?;
            let perms = parts.next()?;
            let (_offset, _dev, inode) = (parts.next()?, parts.next()?, parts.next()?);
            // No path: anonymous ("[heap]", "[stack]" and files have one).
            if perms != "rw-p" || inode != "0" || parts.next().is_some() {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (end > start).then_some((start, end))
        })
        .collect()
}

/// The 2 MB-aligned stretches of `[start, end)` whose pages are all resident, merged into
/// runs, given `resident(page)` for the mapping's pages of `page` bytes from `start`.
pub fn resident_runs(
    start: usize,
    end: usize,
    page: usize,
    resident: impl Fn(usize) -> bool,
) -> Vec<(usize, usize)> {
    let first = start.next_multiple_of(HUGE);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut at = first;
    while at + HUGE <= end {
        let pages = (at - start) / page..(at + HUGE - start) / page;
        if pages.clone().all(&resident) {
            match runs.last_mut() {
                Some(run) if run.1 == at => run.1 = at + HUGE,
                _ => runs.push((at, at + HUGE)),
            }
        }
        at += HUGE;
    }
    runs
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{anonymous_mappings, resident_runs, Collapsed, HUGE};

    /// `MADV_COLLAPSE` (Linux 6.1; the number is the same on every architecture).
    const MADV_COLLAPSE: libc::c_int = 25;

    pub(super) fn collapse_resident(min_mapping: usize) -> Collapsed {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return Collapsed::default();
        };
        // SAFETY: sysconf has no preconditions.
        let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
            p if p > 0 => p as usize,
            _ => return Collapsed::default(),
        };
        let mut done = Collapsed::default();
        for (start, end) in anonymous_mappings(&maps) {
            if end - start < min_mapping {
                continue;
            }
            let mut vec = vec![0u8; (end - start).div_ceil(page)];
            // SAFETY: `start..end` is a mapping of this process as /proc listed it and `vec`
            // has one byte per page of it. If it was unmapped since, mincore fails (ENOMEM)
            // and it is skipped; it reads no memory of the range.
            if unsafe { libc::mincore(start as *mut libc::c_void, end - start, vec.as_mut_ptr()) }
                != 0
            {
                continue;
            }
            for (from, to) in resident_runs(start, end, page, |p| vec[p] & 1 == 1) {
                done.asked += to - from;
                let (addr, len) = (from as *mut libc::c_void, to - from);
                // SAFETY: advice only: neither call changes the memory's contents, and a range
                // unmapped since makes them fail (ENOMEM), which is ignored.
                let ok = unsafe {
                    libc::madvise(addr, len, libc::MADV_HUGEPAGE);
                    libc::madvise(addr, len, MADV_COLLAPSE) == 0
                };
                if ok {
                    done.collapsed += len;
                } else {
                    tracing::debug!(
                        bytes = len,
                        error = %std::io::Error::last_os_error(),
                        "huge pages refused"
                    );
                }
            }
        }
        debug_assert!(done.collapsed % HUGE == 0);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_private_anonymous_writable_mappings_are_listed() {
        let maps = "\
55d0a0000000-55d0a0021000 r--p 00000000 fd:01 1234 /usr/bin/dailypapers
7f0000000000-7f0008000000 rw-p 00000000 00:00 0 
7f0008000000-7f0008001000 ---p 00000000 00:00 0
7f0010000000-7f0010400000 rw-p 00000000 00:00 0 [heap]
7f0020000000-7f0020400000 rw-s 00000000 00:01 77 /dev/zero (deleted)
7f0030000000-7f0030200000 rw-p 00000000 00:00 0
";
        assert_eq!(
            anonymous_mappings(maps),
            vec![
                (0x7f00_0000_0000, 0x7f00_0800_0000),
                (0x7f00_3000_0000, 0x7f00_3020_0000)
            ]
        );
    }

    #[test]
    fn only_whole_resident_aligned_stretches_are_taken_and_runs_merge() {
        let page = 4096;
        // Starts 1 MB before a 2 MB boundary; 4 stretches fit after it.
        let start = 7 * HUGE - HUGE / 2;
        let end = start + HUGE / 2 + 4 * HUGE + 100 * page;
        let aligned = 7 * HUGE;
        // Every page resident but one in the third stretch.
        let hole = (aligned + 2 * HUGE + 5 * page - start) / page;
        let runs = resident_runs(start, end, page, |p| p != hole);
        assert_eq!(
            runs,
            vec![
                (aligned, aligned + 2 * HUGE),
                (aligned + 3 * HUGE, aligned + 4 * HUGE)
            ]
        );
        // Nothing resident: nothing taken.
        assert!(resident_runs(start, end, page, |_| false).is_empty());
    }

    /// An anonymous mapping of `len` bytes whose first `touched` bytes are written.
    #[cfg(target_os = "linux")]
    fn mapping(len: usize, touched: usize) -> (*mut u8, usize) {
        // SAFETY: a fresh private anonymous mapping; written only within its length.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            let p = p as *mut u8;
            for i in (0..touched).step_by(4096) {
                *p.add(i) = (i / 4096) as u8 | 1;
            }
            (p, len)
        }
    }

    #[cfg(target_os = "linux")]
    fn resident_pages(p: *mut u8, len: usize) -> usize {
        let mut vec = vec![0u8; len / 4096];
        // SAFETY: `p..p + len` is a live mapping made by `mapping`.
        assert_eq!(
            unsafe { libc::mincore(p as *mut libc::c_void, len, vec.as_mut_ptr()) },
            0
        );
        vec.iter().filter(|b| **b & 1 == 1).count()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn collapsing_keeps_contents_and_never_fills_untouched_memory() {
        let len = 72 << 20;
        let (dense, _) = mapping(len, len);
        // Half written, in the middle of a 2 MB stretch: the rest must stay absent.
        let half = len / 2 + HUGE / 2;
        let (sparse, _) = mapping(len, half);
        let before = resident_pages(sparse, len);
        let done = collapse_resident(64 << 20);
        assert!(
            done.asked >= (len - HUGE) + (half - 2 * HUGE),
            "both mappings' resident stretches asked: {done:?}"
        );
        assert_eq!(
            resident_pages(sparse, len),
            before,
            "untouched pages stay absent"
        );
        assert_eq!(resident_pages(dense, len), len / 4096);
        for i in (0..len).step_by(4096) {
            // SAFETY: within the live mapping.
            assert_eq!(unsafe { *dense.add(i) }, (i / 4096) as u8 | 1);
        }
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if done.collapsed == 0 {
            // Huge pages off (`[never]`) or a kernel before 6.1: nothing to check further.
            println!(
                "huge pages not available here ({}): collapse not checked",
                mode.trim()
            );
        } else {
            assert!(done.collapsed >= len - HUGE, "{done:?}");
            // The kernel says so too.
            let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
            let huge_kb: usize = rollup
                .lines()
                .find_map(|l| l.strip_prefix("AnonHugePages:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap();
            assert!(huge_kb * 1024 >= len - HUGE, "AnonHugePages {huge_kb} kB");
        }
        // SAFETY: unmapping the test's own mappings.
        unsafe {
            libc::munmap(dense as *mut libc::c_void, len);
            libc::munmap(sparse as *mut libc::c_void, len);
        }
    }
}
